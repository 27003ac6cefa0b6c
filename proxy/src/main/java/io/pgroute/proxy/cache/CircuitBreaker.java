package io.pgroute.proxy.cache;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Stops calling Redis after repeated failures, so that a dead or slow Redis costs no latency: after
 * {@code threshold} consecutive failures every call is refused for {@code coolDown}, then one call is let through
 * as a probe; its success closes the breaker, its failure opens it again.
 *
 * <pre>
 *            threshold consecutive failures
 *   CLOSED ─────────────────────────────────▶ OPEN ◀──────────┐
 *     ▲                                        │ coolDown over │ probe failed
 *     │         probe succeeded                ▼ (one probe)   │
 *     └─────────────────────────────────── HALF_OPEN ──────────┘
 * </pre>
 *
 * Thread-safe; the clock is injected ({@link System#nanoTime()} in production) so tests need no sleeps.
 */
public final class CircuitBreaker {

    /** Where the breaker stands. */
    public enum State {
        CLOSED, OPEN, HALF_OPEN
    }

    private final int threshold;
    private final long coolDownNanos;
    private final LongSupplier clock;
    private State state = State.CLOSED;
    private int failures;
    private long openedAt;

    /**
     * @param threshold consecutive failures that open the breaker, at least 1
     * @param coolDown  how long an open breaker refuses calls before letting a probe through
     * @param clock     nanosecond clock
     */
    public CircuitBreaker(int threshold, Duration coolDown, LongSupplier clock) {
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold must be >= 1: " + threshold);
        }
        this.threshold = threshold;
        this.coolDownNanos = coolDown.toNanos();
        this.clock = clock;
    }

    /** True if a call may go to Redis now; it must then report {@link #onSuccess()} or {@link #onFailure()}. */
    public synchronized boolean tryAcquire() {
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
                if (clock.getAsLong() - openedAt < coolDownNanos) {
                    return false;
                }
                state = State.HALF_OPEN;
                return true;
            default:
                return false;
        }
    }

    /** A call answered: closes the breaker. */
    public synchronized void onSuccess() {
        failures = 0;
        state = State.CLOSED;
    }

    /**
     * A call failed or timed out.
     *
     * @return true if this failure opened the breaker
     */
    public synchronized boolean onFailure() {
        failures++;
        if (state == State.HALF_OPEN || (state == State.CLOSED && failures >= threshold)) {
            state = State.OPEN;
            openedAt = clock.getAsLong();
            return true;
        }
        return false;
    }

    /** The current state. */
    public synchronized State state() {
        return state;
    }
}
