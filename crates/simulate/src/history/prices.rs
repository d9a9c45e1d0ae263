//! Spot prices: `aws ec2 describe-spot-price-history`.
//!
//! The shape, from the EC2 API reference (`DescribeSpotPriceHistory`, `SpotPrice`):
//! `{"SpotPriceHistory": [{"AvailabilityZone", "InstanceType", "ProductDescription",
//! "SpotPrice": "0.035000", "Timestamp"}], "NextToken"?}`: the price is a string. The
//! history reaches back 90 days; with a start time the answer also holds the last change
//! before it (the price in effect at the start). The AWS CLI pages by itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CliTime, HistoryError, Note, file, note, parse_json};

/// The command whose output [`read`] takes.
pub const COMMAND: &str = "aws ec2 describe-spot-price-history";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    #[serde(default)]
    pub spot_price_history: Vec<SpotPrice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpotPrice {
    #[serde(default)]
    pub availability_zone: String,
    pub instance_type: String,
    #[serde(default)]
    pub product_description: String,
    pub spot_price: String,
    pub timestamp: CliTime,
}

/// Each type's price per instance-hour over the export: the mean of its records (every
/// zone and change weighs the same; the simulator has one price per pool).
pub fn read(text: &str, notes: &mut Vec<Note>) -> Result<BTreeMap<String, f64>, HistoryError> {
    let out: Output = parse_json(file::PRICES, COMMAND, text)?;
    if out.next_token.is_some() {
        notes.push(Note {
            name: note::PARTIAL_DATA,
            message: format!(
                "{} has a NextToken: some prices were not exported",
                file::PRICES
            ),
        });
    }
    let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    for (i, p) in out.spot_price_history.iter().enumerate() {
        let price: f64 = p
            .spot_price
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| {
                HistoryError::new(
                    file::PRICES,
                    format!(
                        "SpotPriceHistory[{i}].SpotPrice {:?} is not a price",
                        p.spot_price
                    ),
                )
            })?;
        if p.timestamp.epoch().is_none() {
            return Err(HistoryError::new(
                file::PRICES,
                format!(
                    "SpotPriceHistory[{i}].Timestamp {} is not a time",
                    p.timestamp
                ),
            ));
        }
        let e = sums.entry(p.instance_type.clone()).or_default();
        e.0 += price;
        e.1 += 1;
    }
    Ok(sums
        .into_iter()
        .map(|(t, (sum, n))| (t, sum / f64::from(n)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// EC2 API reference, `SpotPrice`: "SpotPrice ... Type: String".
    #[test]
    fn the_price_is_read_from_its_string_and_averaged_over_zones() {
        let text = r#"{"SpotPriceHistory": [
          {"AvailabilityZone": "us-east-1a", "InstanceType": "m5.large", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.030000", "Timestamp": "2026-01-01T00:00:00+00:00"},
          {"AvailabilityZone": "us-east-1b", "InstanceType": "m5.large", "ProductDescription": "Linux/UNIX", "SpotPrice": "0.040000", "Timestamp": "2026-01-01T00:00:00+00:00"}]}"#;
        let p = read(text, &mut vec![]).unwrap();
        assert!((p["m5.large"] - 0.035).abs() < 1e-12);
    }
}
