{
  "algorithm" : "ed25519",
  "keyId" : "b0e4b8d9b5409140",
  "signature" : "W57iWUDHEb/TGOsQIsd5Xt6ozGfgB/59AGxe7hUwlc5WcnvNqO8t/DxSdAqVK1S5iA1HqMAxbZxBkUbhi+o4Bw=="
}
