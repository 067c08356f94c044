{
  "algorithm" : "ed25519",
  "keyId" : "b0e4b8d9b5409140",
  "signature" : "XAM+8MhMUIwXSPEs5XHFn3P7sTFjda4RO49dE6BXmc2K9QcXp4Fye/XNbPgSENPVnWnhfBOjN9+t8yqJURTCAg=="
}
