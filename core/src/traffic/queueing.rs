//! Ground truth for the service model: Little's law and the steady state of
//! the M/M/1 and M/M/c queues (Kleinrock, "Queueing Systems, Volume 1",
//! 1975, §2 and §3.4; Erlang C is Erlang's 1917 delay formula).
//!
//! With arrivals at rate λ (Poisson), exponential service at rate μ per
//! worker and c workers, the offered load is `a = λ/μ` and the utilisation
//! `ρ = a/c`, which must stay below 1 for a steady state to exist.
//!
//! - **Little's law**: in any stable system the mean number inside equals
//!   the arrival rate times the mean time spent inside, `L = λW`, whatever
//!   the distributions (Little, 1961).
//! - **M/M/1**: `W = 1/(μ − λ)`, `L = ρ/(1 − ρ)`, `Wq = ρ/(μ − λ)`,
//!   `Lq = ρ²/(1 − ρ)`.
//! - **M/M/c**: the probability that an arrival must wait is Erlang C,
//!   `C(c, a) = (a^c/c! · c/(c − a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c − a))`;
//!   then `Wq = C/(cμ − λ)`, `W = Wq + 1/μ`, `Lq = λWq`, `L = λW`.
//!
//! The tests run [`super::service::Service`] under Poisson arrivals and
//! exponential service for hundreds of thousands of requests and hold its
//! measured mean response time and mean number in the system to these
//! formulas (within 5%) and to Little's law (within 2%).

/// The steady state of a queue, in the unit of the rates given (per second
/// gives seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SteadyState {
    /// ρ: the fraction of time a worker is busy.
    pub utilisation: f64,
    /// The probability that an arrival waits (Erlang C; ρ for M/M/1).
    pub wait_probability: f64,
    /// Wq: mean time waiting in the queue.
    pub mean_wait: f64,
    /// W: mean time in the system (waiting and being served).
    pub mean_response: f64,
    /// Lq: mean number waiting.
    pub mean_queue_length: f64,
    /// L: mean number in the system.
    pub mean_in_system: f64,
}

/// Little's law: the mean number in a system whose arrivals come at
/// `arrival_rate` and stay `mean_time` on average.
pub fn littles_law(arrival_rate: f64, mean_time: f64) -> f64 {
    arrival_rate * mean_time
}

/// The M/M/1 queue with arrival rate `lambda` and service rate `mu`, or
/// `None` when it has no steady state (ρ ≥ 1, or a rate not positive).
pub fn mm1(lambda: f64, mu: f64) -> Option<SteadyState> {
    if !(lambda > 0.0 && mu > 0.0 && lambda < mu) {
        return None;
    }
    let rho = lambda / mu;
    Some(SteadyState {
        utilisation: rho,
        wait_probability: rho,
        mean_wait: rho / (mu - lambda),
        mean_response: 1.0 / (mu - lambda),
        mean_queue_length: rho * rho / (1.0 - rho),
        mean_in_system: rho / (1.0 - rho),
    })
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with
/// offered load `a = λ/μ` Erlangs, or `None` when `a ≥ c`.
pub fn erlang_c(workers: u32, offered_load: f64) -> Option<f64> {
    let c = f64::from(workers);
    if workers == 0 || !(offered_load > 0.0 && offered_load < c) {
        return None;
    }
    // Σ_{k<c} a^k/k!, and a^c/c!, built term by term (no factorials to overflow).
    let mut term = 1.0;
    let mut below = 0.0;
    for k in 0..workers {
        below += term;
        term *= offered_load / f64::from(k + 1);
    }
    let waiting = term * c / (c - offered_load);
    Some(waiting / (below + waiting))
}

/// The M/M/c queue with arrival rate `lambda`, service rate `mu` per worker
/// and `workers` workers, or `None` when it has no steady state.
pub fn mmc(lambda: f64, mu: f64, workers: u32) -> Option<SteadyState> {
    if !(lambda > 0.0 && mu > 0.0) {
        return None;
    }
    let offered = lambda / mu;
    let wait_probability = erlang_c(workers, offered)?;
    let c = f64::from(workers);
    let mean_wait = wait_probability / (c * mu - lambda);
    let mean_response = mean_wait + 1.0 / mu;
    Some(SteadyState {
        utilisation: offered / c,
        wait_probability,
        mean_wait,
        mean_response,
        mean_queue_length: littles_law(lambda, mean_wait),
        mean_in_system: littles_law(lambda, mean_response),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::clients::Arrivals;
    use crate::traffic::harness::{
        exponential_service, run_open_loop, run_open_loop_through, three_tier_benchmark, Measured,
    };

    fn close(measured: f64, theory: f64, tolerance: f64) -> bool {
        (measured - theory).abs() <= tolerance * theory
    }

    #[test]
    fn formulas_agree_with_each_other_and_known_values() {
        let one = mm1(70.0, 100.0).unwrap();
        let c1 = mmc(70.0, 100.0, 1).unwrap();
        for (a, b) in [
            (one.mean_response, c1.mean_response),
            (one.mean_in_system, c1.mean_in_system),
            (one.mean_wait, c1.mean_wait),
            (one.mean_queue_length, c1.mean_queue_length),
            (one.wait_probability, c1.wait_probability),
        ] {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert!((one.mean_response - 1.0 / 30.0).abs() < 1e-12);
        assert!((one.mean_in_system - 7.0 / 3.0).abs() < 1e-12);
        // Erlang C for 2 servers at 1 Erlang is 1/3.
        assert!((erlang_c(2, 1.0).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        // Little's law holds inside the formulas.
        let four = mmc(320.0, 100.0, 4).unwrap();
        assert!((four.mean_in_system - 320.0 * four.mean_response).abs() < 1e-12);
        assert!(mm1(100.0, 100.0).is_none());
        assert!(mmc(400.0, 100.0, 4).is_none());
        assert!(erlang_c(0, 0.5).is_none());
    }

    fn report(name: &str, measured: &Measured, theory: &SteadyState) {
        println!(
            "{name}: {} requests; W measured {:.4} ms vs formula {:.4} ms; \
             L measured {:.4} vs formula {:.4}; Little lambda*W {:.4}",
            measured.completed,
            measured.mean_response * 1e3,
            theory.mean_response * 1e3,
            measured.mean_in_system,
            theory.mean_in_system,
            littles_law(measured.arrival_rate, measured.mean_response),
        );
    }

    fn assert_matches(name: &str, measured: &Measured, theory: &SteadyState) {
        report(name, measured, theory);
        assert!(measured.completed >= 200_000);
        assert!(
            close(measured.mean_response, theory.mean_response, 0.05),
            "{name}: W {} vs {}",
            measured.mean_response,
            theory.mean_response
        );
        assert!(
            close(measured.mean_in_system, theory.mean_in_system, 0.05),
            "{name}: L {} vs {}",
            measured.mean_in_system,
            theory.mean_in_system
        );
        let little = littles_law(measured.arrival_rate, measured.mean_response);
        assert!(
            close(measured.mean_in_system, little, 0.02),
            "{name}: L {} vs lambda W {little}",
            measured.mean_in_system
        );
    }

    /// M/M/1 at ρ = 0.7: 70 requests per second, 10 ms mean service.
    #[test]
    fn service_model_matches_mm1() {
        let measured = run_open_loop(
            exponential_service(10, 1),
            Arrivals::Poisson { per_second: 70 },
            400_000,
            1,
        );
        assert_matches("M/M/1 rho=0.7", &measured, &mm1(70.0, 100.0).unwrap());
    }

    /// M/M/4 at ρ = 0.8: 320 requests per second, 10 ms mean service.
    #[test]
    fn service_model_matches_mmc() {
        let measured = run_open_loop(
            exponential_service(10, 4),
            Arrivals::Poisson { per_second: 320 },
            400_000,
            2,
        );
        assert_matches("M/M/4 rho=0.8", &measured, &mmc(320.0, 100.0, 4).unwrap());
    }

    /// Three M/M/4 stations in tandem at ρ = 0.8: by Burke's theorem each
    /// tier sees Poisson arrivals, so the line's mean response is three times
    /// one station's, and L is three times one station's L.
    #[test]
    fn tiers_in_tandem_match_the_sum_of_their_formulas() {
        let tier = exponential_service(10, 4);
        let measured = run_open_loop_through(
            &[tier, tier, tier],
            Arrivals::Poisson { per_second: 320 },
            400_000,
            4,
        );
        let one = mmc(320.0, 100.0, 4).unwrap();
        let line = SteadyState {
            mean_response: 3.0 * one.mean_response,
            mean_in_system: 3.0 * one.mean_in_system,
            mean_wait: 3.0 * one.mean_wait,
            mean_queue_length: 3.0 * one.mean_queue_length,
            ..one
        };
        assert_matches("3 x M/M/4 rho=0.8 in tandem", &measured, &line);
    }

    /// How fast the service model runs natively: 10,000 requests per second
    /// of virtual time, open loop, through 16 workers of 1 ms mean service,
    /// each response recorded in a latency sketch. Run with
    /// `cargo test --release -p distlab-core traffic::queueing::tests::throughput -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn throughput_of_the_service_model() {
        let requests = 2_000_000;
        let started = std::time::Instant::now();
        let measured = run_open_loop(
            exponential_service(1, 16),
            Arrivals::Poisson { per_second: 10_000 },
            requests,
            3,
        );
        let wall = started.elapsed().as_secs_f64();
        println!(
            "{} requests ({:.0} s of virtual time at 10,000/s) in {:.3} s of wall time: \
             {:.0} requests per second; p99 {:.3} ms",
            measured.completed,
            measured.duration,
            wall,
            measured.completed as f64 / wall,
            measured.p99_ms,
        );
        assert_eq!(measured.completed, requests);
    }

    /// The README's figure for issue 13, natively: 10,000 requests per second
    /// of virtual time through three tiers ([`three_tier_benchmark`], which
    /// the wasm test `traffic_speed` also runs). Run with
    /// `cargo test --release -p distlab-core traffic::queueing::tests::three_tier -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn three_tier_throughput() {
        let requests = 1_000_000;
        let started = std::time::Instant::now();
        let measured = three_tier_benchmark(requests, 5);
        let wall = started.elapsed().as_secs_f64();
        println!(
            "three tiers: {} requests ({:.0} s of virtual time at 10,000/s) in {:.3} s of wall \
             time: {:.0} requests per second; mean response {:.3} ms, p99 {:.3} ms",
            measured.completed,
            measured.duration,
            wall,
            measured.completed as f64 / wall,
            measured.mean_response * 1e3,
            measured.p99_ms,
        );
        assert_eq!(measured.completed, requests);
    }
}
