package io.pgroute.proxy.cache;

/** Redis was not asked: the circuit breaker is open or the cache is closed. */
public final class CacheUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message why the call was refused */
    public CacheUnavailableException(String message) {
        super(message, null, false, false);
    }
}
