{
  "algorithm" : "ed25519",
  "keyId" : "b0e4b8d9b5409140",
  "signature" : "hURN1CBw2zlYeGQwTgD3+lyqO8K/0gAdy9XsWXwmeW05/+OCgGSEEIKgZkeRBXjs+Q/22TMHd1OEBoAn0JvmAQ=="
}
