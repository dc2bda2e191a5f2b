//! CloudWatch's StandardUnit.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

macro_rules! units {
    ($($variant:ident => $aws:literal,)*) => {
        /// A CloudWatch StandardUnit; [`Unit::as_str`] and [`Unit::parse`] use AWS's spelling.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum Unit {
            $(
                #[doc = concat!("`", $aws, "`")]
                $variant,
            )*
        }

        impl Unit {
            /// Every unit, in the order of AWS's documentation.
            pub const ALL: &'static [Unit] = &[$(Unit::$variant),*];

            /// The unit as CloudWatch spells it (`"Bytes/Second"`, `"None"`, ...).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Unit::$variant => $aws,)*
                }
            }

            /// Parses CloudWatch's spelling (case-sensitive, as CloudWatch is).
            pub fn parse(s: &str) -> Result<Unit, Error> {
                match s {
                    $($aws => Ok(Unit::$variant),)*
                    _ => Err(Error::InvalidUnit(s.to_owned())),
                }
            }
        }
    };
}

units! {
    Seconds => "Seconds",
    Microseconds => "Microseconds",
    Milliseconds => "Milliseconds",
    Bytes => "Bytes",
    Kilobytes => "Kilobytes",
    Megabytes => "Megabytes",
    Gigabytes => "Gigabytes",
    Terabytes => "Terabytes",
    Bits => "Bits",
    Kilobits => "Kilobits",
    Megabits => "Megabits",
    Gigabits => "Gigabits",
    Terabits => "Terabits",
    Percent => "Percent",
    Count => "Count",
    BytesPerSecond => "Bytes/Second",
    KilobytesPerSecond => "Kilobytes/Second",
    MegabytesPerSecond => "Megabytes/Second",
    GigabytesPerSecond => "Gigabytes/Second",
    TerabytesPerSecond => "Terabytes/Second",
    BitsPerSecond => "Bits/Second",
    KilobitsPerSecond => "Kilobits/Second",
    MegabitsPerSecond => "Megabits/Second",
    GigabitsPerSecond => "Gigabits/Second",
    TerabitsPerSecond => "Terabits/Second",
    CountPerSecond => "Count/Second",
    None => "None",
}

impl Default for Unit {
    /// `None`, what CloudWatch records when a datum names no unit.
    fn default() -> Unit {
        Unit::None
    }
}

impl FromStr for Unit {
    type Err = Error;

    fn from_str(s: &str) -> Result<Unit, Error> {
        Unit::parse(s)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_round_trips() {
        assert_eq!(Unit::ALL.len(), 27);
        for &u in Unit::ALL {
            assert_eq!(Unit::parse(u.as_str()), Ok(u));
            assert_eq!(u.to_string(), u.as_str());
        }
        assert_eq!(Unit::parse("Bytes/Second"), Ok(Unit::BytesPerSecond));
        assert_eq!(Unit::parse("Count/Second"), Ok(Unit::CountPerSecond));
        assert_eq!(Unit::default(), Unit::None);
        assert!(Unit::parse("bytes").is_err());
        assert!(Unit::parse("BytesPerSecond").is_err());
    }
}
