//! Public holidays, offline: the national holidays of the user's country
//! for any year, from the crate `holidays-rs` (rules, not tables, so every
//! year is right; names in the country's language: "Pfingstmontag").
//!
//! The crate names its countries but has no ISO codes, so the map from the
//! two-letter code (what the locale, places and `--country` give) to its
//! country is written here, one line per country it covers.

use holidays_rs::{Calendar, Country};

/// The country of an ISO 3166-1 alpha-2 code, when the crate covers it.
pub fn country(code: &str) -> Option<Country> {
    use Country::*;
    Some(match code.to_ascii_uppercase().as_str() {
        "UK" => UnitedKingdom,
        "ID" => Indonesia,
        "US" => UnitedStates,
        "GB" => UnitedKingdom,
        "DE" => Germany,
        "FR" => France,
        "NL" => Netherlands,
        "ES" => Spain,
        "IT" => Italy,
        "PT" => Portugal,
        "BE" => Belgium,
        "AT" => Austria,
        "PL" => Poland,
        "SE" => Sweden,
        "NO" => Norway,
        "DK" => Denmark,
        "FI" => Finland,
        "IE" => Ireland,
        "CA" => Canada,
        "NZ" => NewZealand,
        "CZ" => Czechia,
        "SK" => Slovakia,
        "HR" => Croatia,
        "SI" => Slovenia,
        "EE" => Estonia,
        "LT" => Lithuania,
        "LU" => Luxembourg,
        "IS" => Iceland,
        "CY" => Cyprus,
        "MT" => Malta,
        "GR" => Greece,
        "RO" => Romania,
        "MX" => Mexico,
        "LV" => Latvia,
        "BR" => Brazil,
        "SV" => ElSalvador,
        "NI" => Nicaragua,
        "PE" => Peru,
        "AD" => Andorra,
        "CV" => CaboVerde,
        "FO" => FaroeIslands,
        "GL" => Greenland,
        "CH" => Switzerland,
        "PN" => PitcairnIslands,
        "TK" => Tokelau,
        "WS" => Samoa,
        "AU" => Australia,
        "UY" => Uruguay,
        "GF" => FrenchGuiana,
        "BL" => SaintBarthelemy,
        "PM" => SaintPierreAndMiquelon,
        "TF" => FrenchSouthernTerritories,
        "RE" => Reunion,
        "YT" => Mayotte,
        "LR" => Liberia,
        "CG" => Congo,
        "LI" => Liechtenstein,
        "MF" => SaintMartin,
        "NC" => NewCaledonia,
        "MQ" => Martinique,
        "WF" => WallisAndFutuna,
        "GP" => Guadeloupe,
        "PF" => FrenchPolynesia,
        "HT" => Haiti,
        "SJ" => SvalbardAndJanMayen,
        "LS" => Lesotho,
        "JM" => Jamaica,
        "MZ" => Mozambique,
        "LC" => SaintLucia,
        "MC" => Monaco,
        "GQ" => EquatorialGuinea,
        "NU" => Niue,
        "PA" => Panama,
        "NR" => Nauru,
        "CD" => DrCongo,
        "BW" => Botswana,
        "FK" => FalklandIslands,
        "MW" => Malawi,
        "NF" => NorfolkIsland,
        "AS" => AmericanSamoa,
        "GU" => Guam,
        "FM" => Micronesia,
        "MP" => NorthernMarianaIslands,
        "PW" => Palau,
        "ST" => SaoTomeAndPrincipe,
        "UM" => UnitedStatesMinorOutlyingIslands,
        "VI" => UnitedStatesVirginIslands,
        "AW" => Aruba,
        "AX" => AlandIslands,
        "BQ" => CaribbeanNetherlands,
        "CW" => Curacao,
        "NA" => Namibia,
        "SX" => SintMaarten,
        _ => return None,
    })
}

/// Whether the country of `code` has holidays here.
pub fn covered(code: &str) -> bool {
    country(code).is_some()
}

/// The public holidays of `code`'s country in `year`: (month, day, name),
/// in date order; empty for a country not covered.
pub fn holidays(code: &str, year: i32) -> Vec<(u32, u32, String)> {
    let Some(c) = country(code) else { return vec![] };
    Calendar::new(c)
        .holidays_in(year)
        .into_iter()
        .map(|(d, name)| (u32::from(d.month), u32::from(d.day), name.to_string()))
        .collect()
}

/// The country of the user's locale (`LC_ALL`, `LC_TIME`, `LANG`:
/// `de_DE.UTF-8` is DE), when it names one.
pub fn locale_country() -> Option<String> {
    ["LC_ALL", "LC_TIME", "LANG"].iter().find_map(|k| {
        let v = std::env::var(k).ok()?;
        let lang = v.split(['.', '@']).next()?;
        let (_, cc) = lang.split_once(['_', '-'])?;
        (cc.len() == 2 && cc.chars().all(|c| c.is_ascii_alphabetic())).then(|| cc.to_ascii_uppercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holidays_by_code_any_year() {
        let de = holidays("de", 2027);
        // Easter 2027 is 28 March: Whit Monday 17 May.
        assert!(de.contains(&(5, 17, "Pfingstmontag".into())), "{de:?}");
        assert!(de.contains(&(12, 25, "Erster Weihnachtstag".into())), "{de:?}");
        let us = holidays("US", 2026);
        // Thanksgiving: the fourth Thursday of November 2026 is the 26th.
        assert!(us.iter().any(|(m, d, n)| (*m, *d) == (11, 26) && n.contains("Thanksgiving")), "{us:?}");
        assert!(holidays("XX", 2027).is_empty());
        assert!(covered("gb") && covered("UK") && !covered("JP"));
    }
}
