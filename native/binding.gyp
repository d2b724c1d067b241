{
  "targets": [
    {
      "target_name": "outrigger_native",
      "sources": ["outrigger_native.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
