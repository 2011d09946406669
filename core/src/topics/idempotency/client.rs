//! A client of the payment API, as a process of its own: it starts payments
//! (its own workload, or the page's buttons), and retries each until it gets
//! an answer or its retry window is over.
//!
//! Each payment gets its idempotency key before its first try, written down
//! with the payment (so it survives the client's own crash), and every retry
//! reuses it (Stripe: "retry with the same key"). A try that gets no answer
//! within the reply timeout is retried after an exponential backoff with
//! jitter; so is one answered 409 Conflict (the first request is still in
//! progress). After the retry window the client gives up without knowing
//! whether it paid.

use crate::sim::node::{Cx, Labelled};
use crate::sim::time::{Duration, NodeId, Time};
use crate::sim::view::{Cell, NodeSummary};

use super::message::{cents, ChargeId, PaymentKey, PaymentMessage, PaymentOp, PaymentTimer, Role};
use super::process::{ignore, PaymentConfig, PaymentProcess, SERVER};

/// The first backoff; each further one doubles, up to [`BACKOFF_MAX_MS`].
pub const BACKOFF_MS: u64 = 50;
pub const BACKOFF_MAX_MS: u64 = 800;
/// Payment amounts are drawn from this range, in cents.
const AMOUNT_CENTS: (u64, u64) = (100, 10_000);

/// Where a payment stands, as its client knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Tried, no final answer yet.
    Outstanding,
    /// Answered 200 with this charge.
    Paid(ChargeId),
    /// The retry window ran out with no answer: the client does not know.
    GaveUp,
}

/// One payment of a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Payment {
    pub key: PaymentKey,
    pub amount: u64,
    /// The first try, by the client's clock: the retry window counts from here.
    pub first_try: Time,
    pub tries: u32,
    pub outcome: Outcome,
}

/// One client process.
#[derive(Clone, Debug)]
pub struct PaymentClient {
    id: NodeId,
    config: PaymentConfig,
    /// Every payment it started, in order (durable: written before the first try).
    payments: Vec<Payment>,
    /// Success answers received, late ones and replays included.
    receipts: u64,
    last_receipt: Option<(PaymentKey, ChargeId)>,
    // Tallies for the view (not protocol state).
    sent: u64,
    conflicts: u64,
}

impl PaymentClient {
    pub fn new(id: NodeId, config: PaymentConfig) -> Self {
        PaymentClient {
            id,
            config,
            payments: Vec::new(),
            receipts: 0,
            last_receipt: None,
            sent: 0,
            conflicts: 0,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn payments(&self) -> &[Payment] {
        &self.payments
    }

    /// How many success answers it has received, and the latest one.
    pub fn receipts(&self) -> (u64, Option<(PaymentKey, ChargeId)>) {
        (self.receipts, self.last_receipt)
    }

    pub fn on_start(&mut self, cx: &mut Cx<PaymentProcess>) {
        if let Some(gap) = self.config.payment_gap {
            let wait = cx.rng.range_inclusive(0, gap.as_micros());
            cx.set_timer(PaymentTimer::Think, Duration(wait));
        }
        // After a restart: carry on with every payment still outstanding, with
        // the key written down before its first try.
        let mut resumed = 0;
        for payment in self
            .payments
            .iter()
            .filter(|p| p.outcome == Outcome::Outstanding)
        {
            cx.set_timer(
                PaymentTimer::Retry(payment.key.number),
                Duration::from_millis(1),
            );
            resumed += 1;
        }
        if resumed > 0 {
            cx.note(|| {
                format!("restarts and resumes {resumed} outstanding payment(s) with their keys")
            });
        }
    }

    pub fn on_crash(&mut self) {
        // The payments and their keys are written down; nothing else to lose.
    }

    pub fn on_operation(&mut self, operation: PaymentOp, cx: &mut Cx<PaymentProcess>) {
        // A client retries a payment only within its retry window: past it, a
        // retry would be a new payment, so the buttons start one instead.
        let now = cx.now();
        let window = self.config.retry_window;
        let latest = self
            .payments
            .len()
            .checked_sub(1)
            .filter(|&latest| now.since(self.payments[latest].first_try) < window);
        match (operation, latest) {
            (PaymentOp::TwoConcurrentRetries, None) => {
                self.start_payment(cx);
                cx.note(|| "and sends it again at once, with the same key".to_string());
                self.send_try(self.payments.len() - 1, cx);
            }
            (PaymentOp::Pay, _) | (_, None) => self.start_payment(cx),
            (PaymentOp::RetryNow, Some(latest)) => {
                cx.note(|| "retries its latest payment now, with the same key".to_string());
                self.send_try(latest, cx);
            }
            (PaymentOp::TwoConcurrentRetries, Some(latest)) => {
                cx.note(|| "sends its latest payment twice at once, with the same key".to_string());
                self.send_try(latest, cx);
                self.send_try(latest, cx);
            }
        }
    }

    fn start_payment(&mut self, cx: &mut Cx<PaymentProcess>) {
        let key = PaymentKey {
            client: self.id,
            number: self.payments.len() as u32 + 1,
        };
        let amount = cx.rng.range_inclusive(AMOUNT_CENTS.0, AMOUNT_CENTS.1);
        self.payments.push(Payment {
            key,
            amount,
            first_try: cx.now(),
            tries: 0,
            outcome: Outcome::Outstanding,
        });
        cx.note(|| format!("starts payment {key} of {}", cents(amount)));
        self.send_try(self.payments.len() - 1, cx);
    }

    fn send_try(&mut self, index: usize, cx: &mut Cx<PaymentProcess>) {
        let payment = &mut self.payments[index];
        payment.tries += 1;
        self.sent += 1;
        let number = payment.key.number;
        cx.send(
            SERVER,
            PaymentMessage::Pay {
                key: payment.key,
                amount: payment.amount,
                try_number: payment.tries,
            },
        );
        cx.cancel_timer(PaymentTimer::Retry(number));
        cx.set_timer(PaymentTimer::Timeout(number), self.config.reply_timeout);
    }

    /// The outstanding payment numbered `number`, if there is one.
    fn outstanding(&self, number: u32) -> Option<usize> {
        let index = (number as usize).checked_sub(1)?;
        (self.payments.get(index)?.outcome == Outcome::Outstanding).then_some(index)
    }

    fn backoff(&mut self, index: usize, cx: &mut Cx<PaymentProcess>) -> Duration {
        let tries = self.payments[index].tries.clamp(1, 16);
        let base = (BACKOFF_MS << (tries - 1)).min(BACKOFF_MAX_MS) * 1_000;
        Duration(base + cx.rng.range_inclusive(0, base / 2))
    }

    pub fn on_timer(&mut self, timer: PaymentTimer, cx: &mut Cx<PaymentProcess>) {
        match timer {
            PaymentTimer::Think => {
                self.start_payment(cx);
                if let Some(gap) = self.config.payment_gap {
                    let gap = gap.as_micros();
                    let wait = cx.rng.range_inclusive(gap / 2, gap * 3 / 2).max(1);
                    cx.set_timer(PaymentTimer::Think, Duration(wait));
                }
            }
            PaymentTimer::Timeout(number) => {
                let Some(index) = self.outstanding(number) else {
                    return;
                };
                let wait = self.backoff(index, cx);
                let key = self.payments[index].key;
                cx.note(|| format!("no answer for {key} in time: retries in {wait}"));
                cx.set_timer(PaymentTimer::Retry(number), wait);
            }
            PaymentTimer::Retry(number) => {
                let Some(index) = self.outstanding(number) else {
                    return;
                };
                let payment = self.payments[index];
                if cx.now().since(payment.first_try) >= self.config.retry_window {
                    self.payments[index].outcome = Outcome::GaveUp;
                    let tries = payment.tries;
                    cx.note(|| format!("gives up on {} after {tries} tries: the retry window is over, and it does not know whether it paid", payment.key));
                    return;
                }
                self.send_try(index, cx);
            }
            other => ignore(&other, cx),
        }
    }

    pub fn on_message(
        &mut self,
        from: NodeId,
        message: PaymentMessage,
        cx: &mut Cx<PaymentProcess>,
    ) {
        if from != SERVER {
            return cx.note(|| format!("ignores {} from {from}, not the server", message.kind()));
        }
        match message {
            PaymentMessage::Charged { key, charge, .. } if key.client == self.id => {
                self.on_charged(key, charge, cx)
            }
            PaymentMessage::Conflict { key } if key.client == self.id => {
                let Some(index) = self.outstanding(key.number) else {
                    return;
                };
                self.conflicts += 1;
                let wait = self.backoff(index, cx);
                cx.cancel_timer(PaymentTimer::Timeout(key.number));
                cx.set_timer(PaymentTimer::Retry(key.number), wait);
                cx.note(|| {
                    format!("409 for {key}: its first request is in progress; retries in {wait}")
                });
            }
            other => ignore(&other, cx),
        }
    }

    fn on_charged(&mut self, key: PaymentKey, charge: ChargeId, cx: &mut Cx<PaymentProcess>) {
        let Some(payment) = (key.number as usize)
            .checked_sub(1)
            .and_then(|index| self.payments.get_mut(index))
        else {
            return cx.note(|| format!("an answer for {key}, a payment it never made"));
        };
        self.receipts += 1;
        self.last_receipt = Some((key, charge));
        cx.cancel_timer(PaymentTimer::Timeout(key.number));
        match payment.outcome {
            Outcome::Outstanding => {
                payment.outcome = Outcome::Paid(charge);
                cx.cancel_timer(PaymentTimer::Retry(key.number));
                let tries = payment.tries;
                cx.note(|| format!("{key} is paid: {charge}, after {tries} try(s)"));
            }
            Outcome::Paid(first) if first == charge => {
                cx.note(|| format!("another answer for {key}: the same {charge}"));
            }
            Outcome::Paid(first) => {
                cx.note(|| format!("another answer for {key} names {charge}, but it was paid as {first}: charged twice"));
            }
            Outcome::GaveUp => {
                cx.note(|| format!("an answer for {key} after it gave up: {charge}"));
            }
        }
    }

    fn outstanding_count(&self) -> usize {
        self.payments
            .iter()
            .filter(|p| p.outcome == Outcome::Outstanding)
            .count()
    }

    pub fn summary(&self) -> NodeSummary {
        let outstanding = self.outstanding_count();
        let role = if outstanding > 0 {
            Role::Paying
        } else {
            Role::Client
        };
        let paid = self
            .payments
            .iter()
            .filter(|p| matches!(p.outcome, Outcome::Paid(_)))
            .count();
        NodeSummary {
            role: role.as_str(),
            palette: role.palette(),
            badge: format!("{paid}/{}", self.payments.len()),
            detail: format!(
                "client {}: {} payments, {paid} paid, {outstanding} outstanding; {} requests sent",
                self.id,
                self.payments.len(),
                self.sent
            ),
        }
    }

    pub fn state_row(&self) -> Vec<Cell> {
        let in_flight: Vec<String> = self
            .payments
            .iter()
            .filter(|p| p.outcome == Outcome::Outstanding)
            .map(|p| format!("{} (try {})", p.key, p.tries))
            .collect();
        let paid = self
            .payments
            .iter()
            .filter(|p| matches!(p.outcome, Outcome::Paid(_)))
            .count();
        let gave_up = self
            .payments
            .iter()
            .filter(|p| p.outcome == Outcome::GaveUp)
            .count();
        vec![
            Cell::Text(if in_flight.is_empty() {
                "-".to_string()
            } else {
                in_flight.join(", ")
            }),
            Cell::Text(format!("{paid} paid, {gave_up} unknown (gave up)")),
            Cell::Text(format!(
                "{} sent, {} answered 409",
                self.sent, self.conflicts
            )),
        ]
    }
}
