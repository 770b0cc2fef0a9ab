{
  "targets": [
    {
      "target_name": "igvm_hash",
      "sources": ["native/igvm_hash.c"],
      "cflags": ["-O2", "-Wall", "-Wno-deprecated-declarations"]
    }
  ]
}
