//! Frame opcodes (RFC 6455 §5.2, §11.8).

/// A frame opcode that RFC 6455 defines. Reserved opcodes never become an
/// `OpCode`: [`OpCode::from_u4`] returns `None` for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpCode {
    /// 0x0: a continuation of a fragmented data message.
    Continuation = 0x0,
    /// 0x1: the first (or only) frame of a text message.
    Text = 0x1,
    /// 0x2: the first (or only) frame of a binary message.
    Binary = 0x2,
    /// 0x8: close.
    Close = 0x8,
    /// 0x9: ping.
    Ping = 0x9,
    /// 0xA: pong.
    Pong = 0xA,
}

impl OpCode {
    /// Decodes the low four bits of the first header byte.
    pub const fn from_u4(bits: u8) -> Option<Self> {
        match bits & 0x0f {
            0x0 => Some(Self::Continuation),
            0x1 => Some(Self::Text),
            0x2 => Some(Self::Binary),
            0x8 => Some(Self::Close),
            0x9 => Some(Self::Ping),
            0xA => Some(Self::Pong),
            _ => None,
        }
    }

    /// Control frames (close, ping, pong) have the high opcode bit set.
    pub const fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }

    /// The four-bit wire value.
    pub const fn as_u8(self) -> u8 {
        self as u8
    }
}

/// The type of a data message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// UTF-8 text.
    Text,
    /// Arbitrary bytes.
    Binary,
}

impl DataKind {
    /// The opcode of the first frame of a message of this kind.
    pub const fn opcode(self) -> OpCode {
        match self {
            Self::Text => OpCode::Text,
            Self::Binary => OpCode::Binary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_opcodes_are_rejected() {
        for bits in 0u8..16 {
            let known = matches!(bits, 0 | 1 | 2 | 8 | 9 | 10);
            assert_eq!(OpCode::from_u4(bits).is_some(), known, "opcode {bits}");
            if let Some(op) = OpCode::from_u4(bits) {
                assert_eq!(op.as_u8(), bits);
                assert_eq!(op.is_control(), bits >= 8);
            }
        }
    }

    #[test]
    fn data_kinds_map_to_opcodes() {
        assert_eq!(DataKind::Text.opcode(), OpCode::Text);
        assert_eq!(DataKind::Binary.opcode(), OpCode::Binary);
    }
}
