//! The simulated machines: TSBS `devops` host tags, chosen per host from the seed.
//!
//! Tag keys, their order and the value sets follow TSBS (`pkg/data/usecases/devops/host.go`):
//! `hostname` is `host_N`; `region` is one of nine AWS regions and `datacenter` one of that
//! region's zones; `rack` is `0`..`99`; `service` `0`..`19`; `service_version` `0`..`1`.

use crate::rng::Rng;

/// Tag keys, in TSBS order.
pub const TAG_KEYS: [&str; 10] = [
    "hostname",
    "region",
    "datacenter",
    "rack",
    "os",
    "arch",
    "team",
    "service",
    "service_version",
    "service_environment",
];

/// Regions and their datacenters, as TSBS has them.
const REGIONS: [(&str, &[&str]); 9] = [
    (
        "us-east-1",
        &["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"],
    ),
    ("us-west-1", &["us-west-1a", "us-west-1b"]),
    ("us-west-2", &["us-west-2a", "us-west-2b", "us-west-2c"]),
    ("eu-west-1", &["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ("eu-central-1", &["eu-central-1a", "eu-central-1b"]),
    ("ap-southeast-1", &["ap-southeast-1a", "ap-southeast-1b"]),
    ("ap-southeast-2", &["ap-southeast-2a", "ap-southeast-2b"]),
    ("ap-northeast-1", &["ap-northeast-1a", "ap-northeast-1c"]),
    ("sa-east-1", &["sa-east-1a", "sa-east-1b", "sa-east-1c"]),
];
const TEAMS: [&str; 4] = ["SF", "NYC", "LON", "CHI"];
const OSES: [&str; 3] = ["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"];
const ARCHES: [&str; 2] = ["x64", "x86"];
const ENVIRONMENTS: [&str; 3] = ["production", "staging", "test"];
const RACKS: u64 = 100;
const SERVICES: u64 = 20;
const SERVICE_VERSIONS: u64 = 2;

/// The name of host number `id`.
pub fn hostname(id: u32) -> String {
    format!("host_{id}")
}

/// One host's tag values, in [`TAG_KEYS`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostTags {
    /// Values, index-aligned with [`TAG_KEYS`].
    pub values: [String; 10],
}

impl HostTags {
    /// Draws the tags of host `id` from its own random stream (the draw order is TSBS's).
    pub fn draw(id: u32, rng: &mut Rng) -> HostTags {
        let (region, datacenters) = *rng.choose(&REGIONS);
        let datacenter = *rng.choose(datacenters);
        let rack = rng.below(RACKS).to_string();
        let arch = *rng.choose(&ARCHES);
        let os = *rng.choose(&OSES);
        let service = rng.below(SERVICES).to_string();
        let service_version = rng.below(SERVICE_VERSIONS).to_string();
        let environment = *rng.choose(&ENVIRONMENTS);
        let team = *rng.choose(&TEAMS);
        HostTags {
            values: [
                hostname(id),
                region.to_string(),
                datacenter.to_string(),
                rack,
                os.to_string(),
                arch.to_string(),
                team.to_string(),
                service,
                service_version,
                environment.to_string(),
            ],
        }
    }

    /// The `hostname` tag.
    pub fn hostname(&self) -> &str {
        &self.values[0]
    }

    /// `(key, value)` pairs in [`TAG_KEYS`] order.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        TAG_KEYS
            .iter()
            .copied()
            .zip(self.values.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_come_from_tsbs_sets() {
        let mut rng = Rng::new(3, 0);
        for id in 0..200 {
            let t = HostTags::draw(id, &mut rng);
            assert_eq!(t.hostname(), format!("host_{id}"));
            let (_, dcs) = REGIONS.iter().find(|(r, _)| *r == t.values[1]).unwrap();
            assert!(dcs.contains(&t.values[2].as_str()));
            assert!(t.values[3].parse::<u64>().unwrap() < RACKS);
            assert!(OSES.contains(&t.values[4].as_str()));
            assert!(ARCHES.contains(&t.values[5].as_str()));
            assert!(TEAMS.contains(&t.values[6].as_str()));
            assert!(t.values[7].parse::<u64>().unwrap() < SERVICES);
            assert!(t.values[8].parse::<u64>().unwrap() < SERVICE_VERSIONS);
            assert!(ENVIRONMENTS.contains(&t.values[9].as_str()));
        }
    }
}
