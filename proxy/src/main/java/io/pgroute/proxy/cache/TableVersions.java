package io.pgroute.proxy.cache;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Version counters of some tables of one database, and the database's epoch, read from Redis in one round trip
 * before a cacheable query is sent. A table never bumped has version 0; an epoch of 0 means the epoch key was
 * missing, and a result filed under it is never served.
 *
 * @param epoch    the database's epoch, 0 if unknown
 * @param versions table name to version counter, in the order asked for
 */
public record TableVersions(long epoch, Map<String, Long> versions) {

    /** Copies {@code versions}, keeping its order. */
    public TableVersions {
        if (epoch < 0) {
            throw new IllegalArgumentException("negative epoch: " + epoch);
        }
        versions = Collections.unmodifiableMap(new LinkedHashMap<>(versions));
    }

    /** True when the epoch was present, i.e. a result read under these versions may be stored. */
    public boolean epochKnown() {
        return epoch > 0;
    }
}
