//! A test-only deflate walker (after zlib's `puff.c`) that decodes block
//! structure and reports the longest back-reference distance. It proves that
//! a compressor stays inside its negotiated window, which no zlib inflater
//! can check (zlib-rs always keeps a 32 KiB window).

const LEN_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [usize; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let bit = (byte >> (self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |acc, i| Some(acc | (self.bit()? << i)))
    }

    fn at_end(&self) -> bool {
        self.pos.div_ceil(8) >= self.data.len()
    }
}

/// A canonical Huffman code: symbol counts per length, symbols in order.
struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Self {
        let mut count = [0u16; 16];
        lengths.iter().for_each(|&l| count[usize::from(l)] += 1);
        count[0] = 0;
        let mut symbol: Vec<u16> = Vec::new();
        for len in 1..16 {
            let syms = lengths
                .iter()
                .enumerate()
                .filter(|&(_, &l)| usize::from(l) == len);
            symbol.extend(syms.map(|(s, _)| u16::try_from(s).unwrap()));
        }
        Self { count, symbol }
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Option<usize> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= i32::try_from(bits.bit()?).ok()?;
            let count = i32::from(self.count[len]);
            if code - count < first {
                return Some(usize::from(
                    self.symbol[usize::try_from(index + code - first).ok()?],
                ));
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// The longest back-reference distance in a raw deflate stream, or `None`
/// when the stream is malformed. Stops at the end of the input.
pub(crate) fn max_distance(stream: &[u8]) -> Option<usize> {
    let mut bits = Bits {
        data: stream,
        pos: 0,
    };
    let mut max = 0;
    while !bits.at_end() {
        let last = bits.bit()?;
        let tables = match bits.bits(2)? {
            0 => {
                stored(&mut bits)?;
                continue;
            }
            1 => fixed_tables(),
            2 => dynamic_tables(&mut bits)?,
            _ => return None,
        };
        max = max.max(codes(&mut bits, &tables)?);
        if last == 1 {
            break;
        }
    }
    Some(max)
}

fn stored(bits: &mut Bits<'_>) -> Option<()> {
    bits.pos = bits.pos.div_ceil(8) * 8;
    let len = bits.bits(16)?;
    let nlen = bits.bits(16)?;
    (len == !nlen & 0xffff).then_some(())?;
    bits.pos += usize::try_from(len).ok()? * 8;
    (bits.pos <= bits.data.len() * 8).then_some(())
}

fn fixed_tables() -> (Huffman, Huffman) {
    let mut lengths = [8u8; 288];
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    (Huffman::new(&lengths), Huffman::new(&[5; 30]))
}

fn dynamic_tables(bits: &mut Bits<'_>) -> Option<(Huffman, Huffman)> {
    let nlen = usize::try_from(bits.bits(5)?).ok()? + 257;
    let ndist = usize::try_from(bits.bits(5)?).ok()? + 1;
    let ncode = usize::try_from(bits.bits(4)?).ok()? + 4;
    let mut code_lengths = [0u8; 19];
    for &slot in &CODE_LENGTH_ORDER[..ncode] {
        code_lengths[slot] = u8::try_from(bits.bits(3)?).ok()?;
    }
    let code = Huffman::new(&code_lengths);
    let mut lengths = Vec::with_capacity(nlen + ndist);
    while lengths.len() < nlen + ndist {
        let (value, repeat) = match code.decode(bits)? {
            sym @ 0..=15 => (u8::try_from(sym).ok()?, 1),
            16 => (*lengths.last()?, 3 + bits.bits(2)?),
            17 => (0, 3 + bits.bits(3)?),
            _ => (0, 11 + bits.bits(7)?),
        };
        lengths.extend(std::iter::repeat_n(value, usize::try_from(repeat).ok()?));
    }
    (lengths.len() == nlen + ndist).then_some(())?;
    Some((
        Huffman::new(&lengths[..nlen]),
        Huffman::new(&lengths[nlen..]),
    ))
}

fn codes(bits: &mut Bits<'_>, (lit, dist): &(Huffman, Huffman)) -> Option<usize> {
    let mut max = 0;
    loop {
        let sym = lit.decode(bits)?;
        if sym < 256 {
            continue;
        }
        if sym == 256 {
            return Some(max);
        }
        let index = sym - 257;
        // The length itself does not matter; its extra bits must be skipped.
        bits.bits(*LEN_EXTRA.get(index)?)?;
        let d = dist.decode(bits)?;
        let distance = DIST_BASE.get(d)? + usize::try_from(bits.bits(DIST_EXTRA[d])?).ok()?;
        max = max.max(distance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7692_examples_have_expected_distances() {
        // "Hello" alone: literals only. Then the shared-window repeat: 5 back.
        let hello = [
            0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff,
        ];
        assert_eq!(max_distance(&hello), Some(0));
        let both = [
            &hello[..],
            &[0xf2, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff],
        ]
        .concat();
        assert_eq!(max_distance(&both), Some(5));
    }

    #[test]
    fn malformed_streams_are_reported() {
        assert_eq!(max_distance(&[0x07]), None);
        assert_eq!(max_distance(&[0x00, 0x05, 0x00, 0x00, 0x00]), None);
    }
}
