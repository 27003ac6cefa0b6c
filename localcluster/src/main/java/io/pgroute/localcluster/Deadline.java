package io.pgroute.localcluster;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * A point in time by which a wait must be over. Every wait in this module goes through one, so nothing can block
 * forever; polling is at a fixed short interval because the things we wait for (a port, a replica) are local.
 */
final class Deadline {

    private static final long POLL_MILLIS = 50;

    private final long endNanos;
    private final Duration timeout;

    private Deadline(Duration timeout) {
        this.timeout = timeout;
        this.endNanos = System.nanoTime() + timeout.toNanos();
    }

    static Deadline in(Duration timeout) {
        return new Deadline(timeout);
    }

    boolean expired() {
        return System.nanoTime() - endNanos >= 0;
    }

    Duration remaining() {
        long result = endNanos - System.nanoTime();
        return result <= 0 ? Duration.ZERO : Duration.ofNanos(result);
    }

    Duration timeout() {
        return timeout;
    }

    /**
     * Polls {@code condition} until it returns true. An exception from the condition counts as "not yet" (the last
     * one becomes the cause of the timeout), except {@link GiveUpException}, which ends the wait at once.
     *
     * @throws DeadlineExceededException when the deadline passes first
     */
    void await(String what, Callable<Boolean> condition) {
        Exception last = null;
        while (true) {
            try {
                if (Boolean.TRUE.equals(condition.call())) {
                    return;
                }
                last = null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LocalClusterException("interrupted while waiting for " + what, e);
            } catch (GiveUpException e) {
                throw e;
            } catch (Exception e) {
                last = e;
            }
            if (expired()) {
                throw new DeadlineExceededException("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + (last == null ? "" : ": " + last), last);
            }
            sleep(what);
        }
    }

    private static void sleep(String what) {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LocalClusterException("interrupted while waiting for " + what, e);
        }
    }

    /** Thrown by {@link #await} when the deadline passes before the condition holds. */
    static final class DeadlineExceededException extends LocalClusterException {

        DeadlineExceededException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Thrown by a condition when waiting longer is pointless (the awaited process has exited). */
    static final class GiveUpException extends LocalClusterException {

        GiveUpException(String message) {
            super(message);
        }
    }
}
