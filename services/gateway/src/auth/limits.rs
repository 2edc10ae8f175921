//! Sign-in limits: who the client is (the peer, or behind a trusted proxy the
//! forwarded address; an IPv6 client by its /64) and how long an account must wait
//! after failures from one address.

use crate::directory;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{Duration, Utc};
use std::net::{IpAddr, SocketAddr};

/// The client address as the sign-in limits count it, where the server knows it:
/// see [`client_address`] and [`limit_key`].
#[derive(Clone, Debug)]
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(ClientIp(
            client_address(peer, &forwarded, &state.trusted_proxies).map(limit_key),
        ))
    }
}

/// Who the client is: the peer, unless the peer is a trusted proxy; then the
/// right-most address of `X-Forwarded-For` that is not a trusted proxy (what a
/// client writes further left is its own claim).
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded: &str,
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
    let mut client = peer.map(|ip| ip.to_canonical())?;
    if !is_trusted(&client) {
        return Some(client);
    }
    for hop in forwarded.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !is_trusted(&client) {
                    break;
                }
            }
            // A hop that is no address ends what can be believed.
            Err(_) => break,
        }
    }
    Some(client)
}

/// The key a client address is limited by: an IPv4 address as it is, an IPv6
/// address by its /64, which one household or office usually holds whole.
pub fn limit_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => ipnet::Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
    }
}

/// How long this account must wait before another try from this address: nothing
/// for the first `free` failures, then 1 s, 2 s, 4 s … after the last failure, at
/// most the window. Other addresses are not held back.
pub fn pair_delay(
    pressure: &directory::LoginPressure,
    free: i64,
    window: Duration,
    now: chrono::DateTime<Utc>,
) -> Option<Duration> {
    let beyond = pressure.pair_failures - free.max(1) + 1;
    let last = pressure.last_pair_failure?;
    if beyond <= 0 {
        return None;
    }
    let delay = Duration::seconds(1_i64 << (beyond - 1).min(20)).min(window);
    let wait = last + delay - now;
    (wait > Duration::zero()).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_forwards_it() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        // Not through a trusted proxy: the header is the client's own claim.
        assert_eq!(
            client_address(Some(ip("203.0.113.7")), "198.51.100.1", &trusted),
            Some(ip("203.0.113.7"))
        );
        // Through the proxy: the right-most address that is not a proxy.
        assert_eq!(
            client_address(
                Some(ip("10.1.2.3")),
                "1.2.3.4, 198.51.100.9, 10.9.9.9",
                &trusted
            ),
            Some(ip("198.51.100.9"))
        );
        // A proxy with nothing forwarded, or garbage: the proxy itself, or the last
        // believable hop.
        assert_eq!(
            client_address(Some(ip("10.1.2.3")), "", &trusted),
            Some(ip("10.1.2.3"))
        );
        assert_eq!(
            client_address(Some(ip("10.1.2.3")), "nonsense, 10.2.2.2", &trusted),
            Some(ip("10.2.2.2"))
        );
        // IPv4 seen through an IPv6 socket is the IPv4 address.
        assert_eq!(
            client_address(Some(ip("::ffff:203.0.113.7")), "", &[]),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(client_address(None, "1.2.3.4", &trusted), None);
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64() {
        assert_eq!(limit_key(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn failures_of_an_account_from_an_address_make_it_wait_ever_longer() {
        let now = Utc::now();
        let window = Duration::minutes(15);
        let pressure = |n, ago: i64| directory::LoginPressure {
            pair_failures: n,
            last_pair_failure: Some(now - Duration::seconds(ago)),
            address_failures: n,
        };
        assert_eq!(pair_delay(&pressure(4, 0), 5, window, now), None);
        assert_eq!(
            pair_delay(&pressure(5, 0), 5, window, now),
            Some(Duration::seconds(1))
        );
        assert_eq!(pair_delay(&pressure(5, 1), 5, window, now), None);
        assert_eq!(
            pair_delay(&pressure(7, 1), 5, window, now),
            Some(Duration::seconds(3))
        );
        assert_eq!(pair_delay(&pressure(40, 0), 5, window, now), Some(window));
        let none = directory::LoginPressure {
            pair_failures: 0,
            last_pair_failure: None,
            address_failures: 0,
        };
        assert_eq!(pair_delay(&none, 5, window, now), None);
    }
}
