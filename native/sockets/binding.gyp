{
  "targets": [
    {
      "target_name": "sockets",
      "sources": ["src/sendmany.c"],
      "cflags": ["-O2"],
      "cflags_c": ["-std=gnu11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
