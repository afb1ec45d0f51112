//! Arguments both `NativeDriver` and `Engine` take from JavaScript: send
//! flags (mirrored by `Flag` in `lib/native.ts`) and typed arrays shared
//! with the addon.

use std::ptr;

use ferrows_core::frame::DataKind;
use ferrows_core::protocol::SendOptions;
use napi::bindgen_prelude::*;
use napi::sys;

/// `send` flag: binary (otherwise text).
pub const FLAG_BINARY: u32 = 1;
/// `send` flag: last frame of the message.
pub const FLAG_FIN: u32 = 2;
/// `send` flag: compress if negotiated.
pub const FLAG_COMPRESS: u32 = 4;
/// `send` flag: the mask bit below overrides the role's default.
pub const FLAG_MASK_SET: u32 = 8;
/// `send` flag: mask (with `FLAG_MASK_SET`).
pub const FLAG_MASK: u32 = 16;
/// `send` flag: a callback waits for the bytes to be written (reported in `Sent` records).
pub const FLAG_NOTIFY: u32 = 32;
/// Outbox record flag: field 4 carries a masking key.
pub const FLAG_KEY: u32 = 64;

/// Send options from flags.
pub fn send_options(flags: u32, mask_key: Option<u32>) -> SendOptions {
    SendOptions {
        fin: flags & FLAG_FIN != 0,
        compress: flags & FLAG_COMPRESS != 0,
        mask: (flags & FLAG_MASK_SET != 0).then_some(flags & FLAG_MASK != 0),
        mask_key: mask_key.map(u32::to_be_bytes),
    }
}

/// Text or binary from flags.
pub fn data_kind(flags: u32) -> DataKind {
    if flags & FLAG_BINARY != 0 {
        DataKind::Binary
    } else {
        DataKind::Text
    }
}

/// The data pointer and length of a `Uint8Array` (or `Buffer`).
pub fn uint8_array(env: sys::napi_env, value: sys::napi_value) -> Result<(*const u8, usize)> {
    let (data, len, kind) = typed_array(env, value)?;
    if kind != sys::TypedarrayType::uint8_array {
        return Err(Error::new(
            Status::InvalidArg,
            "the outbox must be a Uint8Array",
        ));
    }
    Ok((data.cast(), len))
}

/// The data pointer, element count and type of a typed array.
fn typed_array(
    env: sys::napi_env,
    value: sys::napi_value,
) -> Result<(*mut std::ffi::c_void, usize, i32)> {
    let mut kind = 0;
    let mut len = 0;
    let mut data = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    let mut offset = 0;
    // SAFETY: `value` is a live value of `env`; out-pointers are valid.
    let status = unsafe {
        sys::napi_get_typedarray_info(
            env,
            value,
            &mut kind,
            &mut len,
            &mut data,
            &mut buffer,
            &mut offset,
        )
    };
    if status != sys::Status::napi_ok || data.is_null() {
        return Err(Error::new(Status::InvalidArg, "expected a typed array"));
    }
    Ok((data, len, kind))
}

/// The data pointer and length of an `Int32Array`.
pub fn int32_array(env: sys::napi_env, value: sys::napi_value) -> Result<(*mut i32, usize)> {
    match typed_array(env, value) {
        Ok((data, len, kind)) if kind == sys::TypedarrayType::int32_array => Ok((data.cast(), len)),
        _ => Err(Error::new(
            Status::InvalidArg,
            "the record table must be an Int32Array",
        )),
    }
}
