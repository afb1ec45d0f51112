#![expect(
    clippy::print_stdout,
    reason = "the benchmark report is printed to stdout"
)]
//! `cargo run -p ferrows-micro --release` prints the core's micro-benchmarks as Markdown:
//!
//! * every masking kernel available on this CPU (and the scalar reference) in GB/s at
//!   64 B, 1 KiB, 64 KiB and 1 MiB;
//! * streaming UTF-8 validation against `std::str::from_utf8` (ASCII and multibyte text);
//! * the 64-byte text frame path — parse + unmask + validate + encode a reply — with p50,
//!   p99 and p99.9 in nanoseconds per frame.
//!
//! Each figure is the median of several timed rounds; the machine and the other processes on
//! it are part of the result, so compare figures from one run only.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ferrows_core::frame::DataKind;
use ferrows_core::protocol::{Config, EventHandler, Payload, SendOptions};
use ferrows_core::utf8::Utf8Stream;
use ferrows_core::{mask, Connection, Server};

const SIZES: [(usize, &str); 4] = [
    (64, "64 B"),
    (1024, "1 KiB"),
    (64 * 1024, "64 KiB"),
    (1 << 20, "1 MiB"),
];

/// Median throughput in GB/s of `op` over a buffer of `len` bytes.
fn throughput(len: usize, mut op: impl FnMut()) -> f64 {
    let per_round = (64usize << 20).div_ceil(len).max(16);
    let mut rates = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..per_round {
            op();
        }
        let secs = start.elapsed().as_secs_f64();
        rates.push((per_round * len) as f64 / secs / 1e9);
    }
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn mask_table() {
    println!("## Mask kernels (GB/s, median of 7 rounds)\n");
    println!("| kernel | 64 B | 1 KiB | 64 KiB | 1 MiB | × scalar at 1 KiB |");
    println!("|---|---|---|---|---|---|");
    let kernels = mask::available();
    let scalar_1k = kernels
        .iter()
        .find(|k| k.name() == "scalar")
        .map(|k| kernel_rate(*k, 1024))
        .unwrap_or(1.0);
    for kernel in kernels {
        let rates: Vec<f64> = SIZES
            .iter()
            .map(|&(len, _)| kernel_rate(kernel, len))
            .collect();
        let row: Vec<String> = rates.iter().map(|r| format!("{r:.1}")).collect();
        println!(
            "| {} | {} | {:.1}× |",
            kernel.name(),
            row.join(" | "),
            rates[1] / scalar_1k
        );
    }
    println!("\nSelected at run time: `{}`.\n", mask::selected());
}

fn kernel_rate(kernel: mask::Kernel, len: usize) -> f64 {
    let mut buf = vec![0x5au8; len];
    throughput(len, || {
        kernel.apply(black_box(&mut buf), black_box([1, 2, 3, 4]), 0)
    })
}

fn utf8_table() {
    println!("## UTF-8 validation (GB/s, median of 7 rounds)\n");
    println!("| input | size | `Utf8Stream::feed` + `finish` | `std::str::from_utf8` | ratio |");
    println!("|---|---|---|---|---|");
    for (name, unit) in [("ASCII", "a"), ("multibyte", "κόσμε✓𝄞")] {
        for &(len, label) in &SIZES {
            let text: Vec<u8> = unit.bytes().cycle().take(len).collect();
            let text = valid_prefix(text);
            let ours = throughput(text.len(), || {
                let mut stream = Utf8Stream::new();
                black_box(stream.feed(black_box(&text)).is_ok() && stream.finish().is_ok());
            });
            let std = throughput(text.len(), || {
                black_box(std::str::from_utf8(black_box(&text)).is_ok());
            });
            println!(
                "| {name} | {label} | {ours:.1} | {std:.1} | {:.1}× |",
                ours / std
            );
        }
    }
    println!();
}

/// Trims a cut-off code point so the input is valid.
fn valid_prefix(mut text: Vec<u8>) -> Vec<u8> {
    while std::str::from_utf8(&text).is_err() {
        text.pop();
    }
    text
}

/// Copies the received message so it can be echoed after `receive` returns.
struct Echo {
    buf: [u8; 64],
    len: usize,
}

impl EventHandler for Echo {
    fn message(&mut self, _kind: DataKind, payload: Payload<'_>) {
        let bytes = payload.as_slice();
        self.len = bytes.len();
        self.buf[..bytes.len()].copy_from_slice(bytes);
    }
}

/// A masked 64-byte text frame, as a client sends it.
fn masked_frame() -> Vec<u8> {
    let payload = [b'x'; 64];
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81, 0x80 | 64];
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

fn frame_path() {
    let mut conn = Connection::<Server>::new(Config::default());
    let frame = masked_frame();
    let mut input = frame.clone();
    let mut echo = Echo {
        buf: [0; 64],
        len: 0,
    };
    let mut once = || {
        input.copy_from_slice(&frame);
        conn.receive(&mut input, 0, &mut echo);
        conn.send(
            DataKind::Text,
            &echo.buf[..echo.len],
            SendOptions::default(),
        )
        .expect("open");
        let pending = conn.pending_bytes();
        conn.advance_written(pending);
    };
    for _ in 0..100_000 {
        once();
    }
    let timer = timer_cost();
    let mut samples: Vec<Duration> = Vec::with_capacity(1_000_000);
    for _ in 0..1_000_000 {
        let start = Instant::now();
        once();
        samples.push(start.elapsed());
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    let net = |d: Duration| d.saturating_sub(timer).as_nanos();
    println!("## 64-byte text frame: parse + unmask + validate + encode reply\n");
    println!("| p50 | p99 | p99.9 | timer overhead subtracted |");
    println!("|---|---|---|---|");
    println!(
        "| {} ns | {} ns | {} ns | {} ns |\n",
        net(at(0.50)),
        net(at(0.99)),
        net(at(0.999)),
        timer.as_nanos()
    );
}

/// The median cost of an `Instant::now()` pair.
fn timer_cost() -> Duration {
    let mut samples: Vec<Duration> = (0..100_000)
        .map(|_| {
            let start = Instant::now();
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn main() {
    mask_table();
    utf8_table();
    frame_path();
}
