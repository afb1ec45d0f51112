/*
 * Loads a Node addon under musl's own dynamic loader, as Node on Alpine would: dlopen with every
 * relocation bound now (RTLD_NOW), the static constructors run, and the Node-API entry point
 * napi_register_module_v1 found. No musl Node is on the registries this project uses, so this is
 * how the musl build is run here (scripts/cross/musl-load.sh).
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <addon.node>\n", argv[0]);
    return 2;
  }
  void *addon = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (addon == NULL) {
    fprintf(stderr, "dlopen failed: %s\n", dlerror());
    return 1;
  }
  if (dlsym(addon, "napi_register_module_v1") == NULL) {
    fprintf(stderr, "%s has no napi_register_module_v1: %s\n", argv[1], dlerror());
    return 1;
  }
  printf("%s: loaded by musl's dynamic loader, napi_register_module_v1 found\n", argv[1]);
  return 0;
}
