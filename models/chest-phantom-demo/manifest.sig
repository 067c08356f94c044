{
  "algorithm" : "ed25519",
  "keyId" : "b0e4b8d9b5409140",
  "signature" : "73T/7oSxeAS3SDVALi7mi53rMe828U82JC9/wB4JqeCHKC6S9qZIMCOxHLd+1r9K5W5cpJ29AVax2GoU/ljrAg=="
}
