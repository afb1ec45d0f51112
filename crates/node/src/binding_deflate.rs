//! permessage-deflate for JavaScript: negotiation with ws's rules (from the
//! core) and a standalone compressor/decompressor behind ws's exported
//! `PerMessageDeflate.compress`/`decompress`.

use bytes::BytesMut;
use ferrows_core::deflate::{
    self, Agreement, ClientBits, DeflateConfig, Deflater, InflateError, Inflater, ServerBits,
};
use ferrows_core::handshake;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::binding_config::DeflateOptions;

/// ws's `perMessageDeflate` options as JavaScript gives them; `undefined`
/// and `false` differ, as they do in ws.
#[napi(object)]
pub struct DeflateConfigJs {
    /// `serverNoContextTakeover`.
    pub server_no_context_takeover: Option<bool>,
    /// `clientNoContextTakeover`.
    pub client_no_context_takeover: Option<bool>,
    /// `serverMaxWindowBits`: a number, or `false`.
    pub server_max_window_bits: Option<Either<bool, f64>>,
    /// `clientMaxWindowBits`: a number, `true` (offer without value) or `false`.
    pub client_max_window_bits: Option<Either<bool, f64>>,
    /// `threshold`.
    pub threshold: Option<f64>,
    /// `zlibDeflateOptions.level`.
    pub level: Option<i32>,
    /// `zlibDeflateOptions.memLevel`.
    pub mem_level: Option<i32>,
}

/// An agreement: the four parameters, the ws-formatted response value and
/// the accepted parameters in order (`[name, value | null]`).
#[napi(object)]
pub struct NegotiatedJs {
    /// `server_no_context_takeover` agreed.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover` agreed.
    pub client_no_context_takeover: bool,
    /// Server window bits.
    pub server_max_window_bits: u32,
    /// Client window bits.
    pub client_max_window_bits: u32,
    /// The server's `Sec-WebSocket-Extensions` value.
    pub header: String,
    /// The accepted parameters in wire order.
    pub params: Vec<Vec<Option<String>>>,
}

fn bits(value: f64) -> u8 {
    if value.is_finite() {
        value.clamp(0.0, 255.0) as u8
    } else {
        0
    }
}

fn config(js: &DeflateConfigJs) -> Result<DeflateConfig> {
    let cfg = DeflateConfig {
        server_no_context_takeover: js.server_no_context_takeover,
        client_no_context_takeover: js.client_no_context_takeover,
        server_max_window_bits: js.server_max_window_bits.as_ref().and_then(|v| match v {
            Either::A(false) => Some(ServerBits::Off),
            Either::A(true) => None,
            Either::B(n) => Some(ServerBits::Bits(bits(*n))),
        }),
        client_max_window_bits: js.client_max_window_bits.as_ref().map(|v| match v {
            Either::A(false) => ClientBits::Off,
            Either::A(true) => ClientBits::Unvalued,
            Either::B(n) => ClientBits::Bits(bits(*n)),
        }),
        threshold: js
            .threshold
            .map_or(DeflateConfig::DEFAULT_THRESHOLD, |t| t.max(0.0) as usize),
        level: match js.level {
            Some(level) if level >= 0 => level as u32,
            _ => DeflateConfig::DEFAULT_LEVEL,
        },
        mem_level: js
            .mem_level
            .map_or(DeflateConfig::DEFAULT_MEM_LEVEL, |m| m.clamp(0, 255) as u8),
    };
    cfg.validate()
        .map_err(|e| Error::new(Status::InvalidArg, e.message().to_string()))?;
    Ok(cfg)
}

fn to_js(agreement: &Agreement) -> NegotiatedJs {
    let n = agreement.negotiated;
    NegotiatedJs {
        server_no_context_takeover: n.server_no_context_takeover,
        client_no_context_takeover: n.client_no_context_takeover,
        server_max_window_bits: u32::from(n.server_max_window_bits),
        client_max_window_bits: u32::from(n.client_max_window_bits),
        header: agreement.response_header(),
        params: agreement
            .params()
            .into_iter()
            .map(|(name, value)| vec![Some(name.to_string()), value.map(|v| v.to_string())])
            .collect(),
    }
}

/// One extension's parameters, in header order.
type ParamList = Vec<(String, Option<String>)>;

/// The `permessage-deflate` entries of an extensions header, as parameter lists.
fn deflate_entries(header: &str) -> Result<Vec<ParamList>> {
    let offers = handshake::parse_extensions(header)
        .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
    Ok(offers
        .into_iter()
        .filter(|o| o.name == "permessage-deflate")
        .map(|o| o.params)
        .collect())
}

/// The client's offer (`Sec-WebSocket-Extensions` value).
#[napi]
pub fn deflate_offer(config_js: DeflateConfigJs) -> Result<String> {
    Ok(deflate::client_offer(&config(&config_js)?))
}

/// Server: negotiates from the request's `Sec-WebSocket-Extensions`; `null`
/// if no permessage-deflate offer; throws with ws's message otherwise.
#[napi]
pub fn deflate_accept_server(
    config_js: DeflateConfigJs,
    header: String,
) -> Result<Option<NegotiatedJs>> {
    let cfg = config(&config_js)?;
    let entries = deflate_entries(&header)?;
    let offers: Vec<&[(String, Option<String>)]> = entries.iter().map(Vec::as_slice).collect();
    deflate::server_accept(&cfg, &offers)
        .map(|a| a.as_ref().map(to_js))
        .map_err(|e| Error::new(Status::InvalidArg, e.message().to_string()))
}

/// Client: validates the response's `Sec-WebSocket-Extensions`; throws with
/// ws's client message (`Invalid Sec-WebSocket-Extensions header`, or
/// `Server indicated an extension that was not requested`).
#[napi]
pub fn deflate_accept_client(config_js: DeflateConfigJs, header: String) -> Result<NegotiatedJs> {
    let cfg = config(&config_js)?;
    let answers = handshake::check_response_extensions(Some(&header), true)
        .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
    let lists: Vec<&[(String, Option<String>)]> =
        answers.iter().map(|a| a.params.as_slice()).collect();
    deflate::client_accept(&cfg, &lists)
        .map(|a| to_js(&a))
        .map_err(|_| {
            Error::new(
                Status::InvalidArg,
                "Invalid Sec-WebSocket-Extensions header",
            )
        })
}

/// A standalone compressor/decompressor pair for one negotiated direction pair.
#[napi]
pub struct Zlib {
    deflater: Deflater,
    inflater: Inflater,
    max_payload: usize,
    buffer: BytesMut,
}

#[napi]
impl Zlib {
    /// Uses the negotiated parameters from this side's point of view.
    #[napi(constructor)]
    pub fn new(is_server: bool, options: DeflateOptions, max_payload: f64) -> Self {
        let settings = options.to_settings();
        let (c_bits, c_nct) = settings.negotiated.compressor_params(is_server);
        let (d_bits, d_nct) = settings.negotiated.decompressor_params(is_server);
        Self {
            deflater: Deflater::new(c_bits, c_nct, settings.level, settings.mem_level),
            inflater: Inflater::new(d_bits, d_nct),
            max_payload: if max_payload.is_finite() && max_payload > 0.0 {
                max_payload as usize
            } else {
                0
            },
            buffer: BytesMut::new(),
        }
    }

    /// Compresses one message (or fragment with `fin == false`).
    #[napi(catch_unwind)]
    pub fn compress(&mut self, data: &[u8], fin: bool) -> Buffer {
        let mut out = Vec::new();
        self.deflater.compress(data, fin, &mut out);
        out.into()
    }

    /// Decompresses one frame's payload; on `fin` the message is complete.
    /// Throws `Max payload size exceeded` or the zlib error.
    #[napi(catch_unwind)]
    pub fn decompress(&mut self, data: &[u8], fin: bool) -> Result<Buffer> {
        self.buffer.clear();
        match self
            .inflater
            .inflate(data, fin, &mut self.buffer, self.max_payload)
        {
            Ok(()) => Ok(self.buffer.to_vec().into()),
            Err(InflateError::TooBig) => Err(Error::new(
                Status::GenericFailure,
                "Max payload size exceeded",
            )),
            Err(InflateError::Corrupt) => Err(Error::new(
                Status::GenericFailure,
                "invalid compressed data",
            )),
        }
    }
}
