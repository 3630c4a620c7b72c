//! Content hashes: xxh3-64 over the whole file, streamed with a fixed buffer
//! so memory stays bounded whatever the file's size.
//!
//! Inside the catalogue a hash is an integer (the `u64` bit pattern stored in a
//! signed 64-bit column); hex appears only at the edges, for people.

use std::fmt;
use std::io::{self, Read};

use xxhash_rust::xxh3::Xxh3;

/// An xxh3-64 content hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::BigInt))]
pub struct ContentHash(pub u64);

/// Stored as the signed BIGINT with the same bits, on every backend.
#[cfg(feature = "diesel")]
impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::BigInt, DB> for ContentHash
where
    i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
        // The same bits seen as signed, borrowed (the output keeps the reference).
        let signed: &'b i64 = bytemuck::cast_ref(&self.0);
        signed.to_sql(out)
    }
}

#[cfg(feature = "diesel")]
impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB> for ContentHash
where
    i64: diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        i64::from_sql(bytes).map(ContentHash::from_db)
    }
}

impl ContentHash {
    /// The value as stored in a signed BIGINT column (same bits).
    pub fn to_db(self) -> i64 {
        self.0 as i64
    }
    /// Back from a signed BIGINT column.
    pub fn from_db(v: i64) -> Self {
        ContentHash(v as u64)
    }
    /// Lower-case, zero-padded hex, as `xxhsum -H3` prints it.
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }
    /// Parses 16 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        (s.len() == 16).then(|| u64::from_str_radix(s, 16).ok().map(ContentHash))?
    }
    /// Hash of a byte slice (used for path keys and tests).
    pub fn of(bytes: &[u8]) -> Self {
        ContentHash(xxhash_rust::xxh3::xxh3_64(bytes))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.to_hex())
    }
}

impl serde::Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Streams `reader` to its end through xxh3, using `buf` as the only buffer.
/// `prefix` holds bytes already read from the start of the same stream.
/// Returns the hash and the total number of bytes hashed.
pub fn hash_stream<R: Read>(prefix: &[u8], reader: &mut R, buf: &mut [u8]) -> io::Result<(ContentHash, u64)> {
    let mut h = Xxh3::new();
    h.update(prefix);
    let mut total = prefix.len() as u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
        total += n as u64;
    }
    Ok((ContentHash(h.digest()), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_round_trip_keeps_all_bits() {
        for v in [0u64, 1, u64::MAX, 1 << 63, 0xdead_beef_cafe_f00d] {
            assert_eq!(ContentHash::from_db(ContentHash(v).to_db()), ContentHash(v));
        }
    }

    #[test]
    fn streaming_equals_one_shot_for_any_split() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = ContentHash::of(&data);
        for split in [0, 1, 4095, 65_536, 99_999, 100_000] {
            let mut buf = [0u8; 1000];
            let (h, n) = hash_stream(&data[..split], &mut &data[split..], &mut buf).unwrap();
            assert_eq!((h, n), (whole, data.len() as u64), "split at {split}");
        }
    }

    #[test]
    fn hex_matches_xxhsum_format() {
        // `printf abc | xxhsum -H3` prints 78af5f94892f3950
        assert_eq!(ContentHash::of(b"abc").to_hex(), "78af5f94892f3950");
        assert_eq!(ContentHash::from_hex("78af5f94892f3950"), Some(ContentHash::of(b"abc")));
    }
}
