//! Links the addon as a Node-API module.

fn main() {
    napi_build::setup();
}
