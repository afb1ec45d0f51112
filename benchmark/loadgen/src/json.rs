//! A minimal JSON object writer for the one-line result.

use std::fmt::Write as _;

/// A JSON object under construction.
#[derive(Debug, Clone)]
pub struct Obj(String);

impl Default for Obj {
    fn default() -> Self {
        Self::new()
    }
}

impl Obj {
    /// An empty object.
    pub fn new() -> Self {
        Self(String::from("{"))
    }

    fn key(mut self, key: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self = self.quoted(key);
        self.0.push(':');
        self
    }

    fn quoted(mut self, s: &str) -> Self {
        self.0.push('"');
        for ch in s.chars() {
            match ch {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                c if u32::from(c) < 0x20 => {
                    let _ = write!(self.0, "\\u{:04x}", u32::from(c));
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
        self
    }

    /// Adds a string member.
    pub fn str(self, key: &str, value: &str) -> Self {
        self.key(key).quoted(value)
    }

    /// Adds a number member (non-finite numbers become `null`).
    pub fn num(self, key: &str, value: f64) -> Self {
        let mut s = self.key(key);
        if value.is_finite() {
            let _ = write!(s.0, "{value}");
        } else {
            s.0.push_str("null");
        }
        s
    }

    /// Adds an integer member.
    pub fn int(self, key: &str, value: u64) -> Self {
        let mut s = self.key(key);
        let _ = write!(s.0, "{value}");
        s
    }

    /// Adds a boolean member.
    pub fn bool(self, key: &str, value: bool) -> Self {
        let mut s = self.key(key);
        s.0.push_str(if value { "true" } else { "false" });
        s
    }

    /// Adds a nested object.
    pub fn obj(self, key: &str, value: Obj) -> Self {
        let mut s = self.key(key);
        s.0.push_str(&value.finish());
        s
    }

    /// The JSON text.
    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Prints a run's result line (`{"ok":true,…}` or `{"ok":false,"error":…}`) and gives the
/// process's exit code: the closing step of both generators.
#[expect(
    clippy::print_stdout,
    reason = "the result line is the program's output"
)]
pub fn report(result: Result<Obj, String>) -> std::process::ExitCode {
    match result {
        Ok(obj) => {
            println!("{}", obj.bool("ok", true).finish());
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            let obj = Obj::new().bool("ok", false).str("error", &err);
            println!("{}", obj.finish());
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obj_escapes_and_nests() {
        let inner = Obj::new().int("n", 3);
        let text = Obj::new()
            .str("s", "a\"b\\c\n")
            .num("x", 1.5)
            .num("nan", f64::NAN)
            .bool("ok", true)
            .obj("in", inner)
            .finish();
        assert_eq!(
            text,
            r#"{"s":"a\"b\\c\u000a","x":1.5,"nan":null,"ok":true,"in":{"n":3}}"#
        );
    }
}
