package io.pgroute.proxy.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts the cache runs, each with its SHA-1 for {@code EVALSHA}. Every key a script touches shares the
 * database's hash tag, so in Redis Cluster they all live in one slot.
 *
 * @param source Lua text
 * @param sha    SHA-1 of the text, lowercase hex
 */
record RedisScript(String source, String sha) {

    /**
     * Lookup: KEYS[1] entry, KEYS[2] epoch; ARGV[1] version key prefix, ARGV[2] entry magic, then optionally
     * ARGV[3] the database's key prefix and ARGV[4..] table names. Answers
     * {3, entry, milliseconds it has left} when valid; otherwise
     * {status} with status 0 absent, 1 stale (and deletes it), 2 epoch key missing, followed, when tables were
     * given, by what a fill needs, read in the same step: epoch, the database's flux and watermark, then per table
     * version, flux and watermark ('0' for a missing key). Parses the layout of {@link CachedResult}; table keys
     * are built from the prefixes (same hash tag as KEYS).
     */
    static final RedisScript GET = of("""
            local function miss(status)
              if #ARGV < 3 then return {status} end
              local base = ARGV[3]
              local out = {status, redis.call('GET', KEYS[2]) or '0', redis.call('GET', base .. 'f:*') or '0',
                redis.call('GET', base .. 'w:*') or '0'}
              for i = 4, #ARGV do
                out[#out + 1] = redis.call('GET', base .. 'v:' .. ARGV[i]) or '0'
                out[#out + 1] = redis.call('GET', base .. 'f:' .. ARGV[i]) or '0'
                out[#out + 1] = redis.call('GET', base .. 'w:' .. ARGV[i]) or '0'
              end
              return out
            end
            local entry = redis.call('GET', KEYS[1])
            if not entry then return miss(0) end
            local epoch = redis.call('GET', KEYS[2])
            if not epoch then return miss(2) end
            if string.sub(entry, 1, 4) ~= ARGV[2] then redis.call('DEL', KEYS[1]) return miss(1) end
            local p = 5
            local n = string.byte(entry, p)
            if string.sub(entry, p + 1, p + n) ~= epoch then redis.call('DEL', KEYS[1]) return miss(1) end
            p = p + 1 + n
            local count = string.byte(entry, p) * 256 + string.byte(entry, p + 1)
            p = p + 2
            for i = 1, count do
              n = string.byte(entry, p) * 256 + string.byte(entry, p + 1)
              local name = string.sub(entry, p + 2, p + 1 + n)
              p = p + 2 + n
              n = string.byte(entry, p)
              local version = string.sub(entry, p + 1, p + n)
              p = p + 1 + n
              local current = redis.call('GET', ARGV[1] .. name) or '0'
              if current ~= version then redis.call('DEL', KEYS[1]) return miss(1) end
            end
            return {3, entry, redis.call('PTTL', KEYS[1])}
            """);

    /**
     * Table bump: KEYS pairs (version key, last-write key); ARGV[1] the write's WAL position as a decimal, which
     * raises each last-write watermark (never lowers it); ARGV[2] channel ('' for none) and ARGV[3] message to
     * publish. Answers how many subscribers got the message.
     */
    static final RedisScript BUMP = of("""
            local lsn = tonumber(ARGV[1])
            for i = 1, #KEYS, 2 do
              redis.call('INCR', KEYS[i])
              local previous = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
              if lsn > previous then redis.call('SET', KEYS[i + 1], ARGV[1]) end
            end
            if ARGV[2] == '' then return 0 end
            return redis.call('PUBLISH', ARGV[2], ARGV[3])
            """);

    /**
     * Write begins (before the statement that may commit is sent): KEYS pairs (version key, flux key); ARGV[1]
     * flux lifetime in ms. Each version is bumped, so no entry read before is served again, and each flux counter
     * raised, so no fill is stored while the write may be visible on some node but not yet settled. Answers the
     * number of subscribers that got ARGV[3], published on channel ARGV[2] ('' for none: answers 0), which tells
     * every instance's local cache (see {@link NearCache}).
     */
    static final RedisScript BEGIN_WRITE = of("""
            for i = 1, #KEYS, 2 do
              redis.call('INCR', KEYS[i])
              redis.call('INCR', KEYS[i + 1])
              redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
            end
            if ARGV[2] == '' then return 0 end
            return redis.call('PUBLISH', ARGV[2], ARGV[3])
            """);

    /** Write still running: KEYS flux keys; ARGV[1] flux lifetime in ms, renewed. Answers the key count. */
    static final RedisScript RENEW_WRITE = of("""
            for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
            return #KEYS
            """);

    /**
     * Writes settled (committed or not, and their commit positions known): KEYS pairs (flux key, last-write key);
     * ARGV pairs (how many of the writes had begun that flux key, the newest of their commit WAL positions, 0 for
     * none), which raises the watermark (never lowers it). Each flux counter drops by its count, deleted at zero.
     * Answers the pair count.
     */
    static final RedisScript SETTLE_WRITES = of("""
            for i = 1, #KEYS, 2 do
              if tonumber(redis.call('DECRBY', KEYS[i], ARGV[i])) <= 0 then redis.call('DEL', KEYS[i]) end
              local lsn = tonumber(ARGV[i + 1])
              if lsn > 0 then
                local previous = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
                if lsn > previous then redis.call('SET', KEYS[i + 1], ARGV[i + 1]) end
              end
            end
            return #KEYS / 2
            """);

    /**
     * Write of unknown tables begins: KEYS[1] epoch, KEYS[2] the database's flux counter; ARGV[1] epoch floor (as
     * for {@link #BUMP_EPOCH}), ARGV[2] flux lifetime in ms, ARGV[3] channel ('' for none) and ARGV[4] message to
     * publish. Answers how many subscribers got the message.
     */
    static final RedisScript BEGIN_WRITE_ALL = of("""
            redis.call('INCR', KEYS[2])
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            if current < tonumber(ARGV[1]) then
              redis.call('SET', KEYS[1], ARGV[1])
            else
              redis.call('INCR', KEYS[1])
            end
            if ARGV[3] == '' then return 0 end
            return redis.call('PUBLISH', ARGV[3], ARGV[4])
            """);

    /**
     * Epoch bump: KEYS[1] epoch; ARGV[1] floor (wall-clock microseconds). The new epoch is above the old one and at
     * least the floor, so an epoch recreated after a Redis restart never repeats one an old entry was filed under.
     * ARGV[2] channel ('' for none) and ARGV[3] message to publish.
     */
    static final RedisScript BUMP_EPOCH = of("""
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            local epoch
            if current < tonumber(ARGV[1]) then
              redis.call('SET', KEYS[1], ARGV[1])
              epoch = tonumber(ARGV[1])
            else
              epoch = redis.call('INCR', KEYS[1])
            end
            if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
            return epoch
            """);

    private static RedisScript of(String source) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
            return new RedisScript(source, HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-1", e);
        }
    }
}
