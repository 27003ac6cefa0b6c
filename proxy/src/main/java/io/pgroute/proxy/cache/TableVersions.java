package io.pgroute.proxy.cache;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Version counters of some tables of one database, the database's epoch, and the tables' last-write watermark, read
 * from Redis in one round trip before a cacheable query is sent. A table never bumped has version 0; an epoch of 0
 * means the epoch key was missing, and a result filed under it is never served.
 *
 * @param epoch     the database's epoch, 0 if unknown
 * @param versions  table name to version counter, in the order asked for
 * @param watermark the highest primary WAL position (LSN) recorded by a write to any of the tables (or to the
 *                  whole database), 0 if none: a replica that had not replayed this far when the query was sent
 *                  may miss a write, so its answer is not stored
 * @param inFlux    a write to one of the tables (or to the whole database) has begun and not settled: a result read
 *                  now may be older than a commit some node already shows, so it is not stored
 */
public record TableVersions(long epoch, Map<String, Long> versions, long watermark, boolean inFlux) {

    /** Copies {@code versions}, keeping its order. */
    public TableVersions {
        if (epoch < 0) {
            throw new IllegalArgumentException("negative epoch: " + epoch);
        }
        versions = Collections.unmodifiableMap(new LinkedHashMap<>(versions));
    }

    /** Versions with no last-write watermark. */
    public TableVersions(long epoch, Map<String, Long> versions) {
        this(epoch, versions, 0, false);
    }

    /** Versions of tables no write is in flight on. */
    public TableVersions(long epoch, Map<String, Long> versions, long watermark) {
        this(epoch, versions, watermark, false);
    }

    /**
     * True when a result read under these versions may be stored: the epoch was present and no write to the
     * tables was in flight (begun, not yet settled).
     */
    public boolean storable() {
        return epoch > 0 && !inFlux;
    }

    /** True when the epoch was present. */
    public boolean epochKnown() {
        return epoch > 0;
    }
}
