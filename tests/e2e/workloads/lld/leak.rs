// A Rust program that leaks, as rustc builds it today: rust-lld links it
// (rustc's default since 1.90), which packs the code's first page into the
// read-only segment's last; std's code is optimized and deeply inlined.
// Built twice by the Makefile: -g -C opt-level=1 (lld_rust) and with
// -C force-frame-pointers=yes too (lld_rust_fp).
// usage: lld_rust [SESSIONS]
// Each session: a Box (definitely lost once its pointer is forgotten), a
// String and a Vec inside it (indirectly lost), from three call sites.
use std::hint::black_box;

struct Session {
    id: u64,
    name: String,
    buf: Vec<u8>,
}

#[inline(never)]
fn open_session(id: u64) -> Box<Session> {
    let name = format!("session-{id}"); // @name
    let buf = vec![0u8; 100]; // @buf
    Box::new(Session { id, name, buf }) // @box
}

#[inline(never)]
fn leak_sessions(n: u64) -> u64 {
    let mut sum = 0;
    for i in 0..n {
        let s = open_session(i); // @open
        sum += s.id + s.name.len() as u64 + s.buf.len() as u64;
        std::mem::forget(black_box(s));
    }
    sum
}

fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    black_box(leak_sessions(n)); // @leak
}
