{
  "targets": [
    {
      "target_name": "keccak",
      "sources": ["src/keccak.c"],
      "cflags": ["-O3", "-fno-strict-aliasing"],
      "cflags_c": ["-std=c11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
