package io.pgroute.proxy.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A cached answer: the backend frames to replay byte for byte (RowDescription, DataRows, CommandComplete, each as
 * type byte, int32 length and body) and the table versions and epoch read before the query was sent, which Redis
 * checks on every hit.
 *
 * <p>The stored form is read by the lookup script in Redis, so numbers are ASCII decimals (compared as strings
 * there, exactly as {@code INCR} writes them):
 *
 * <pre>
 * "PGR" 0x02 | u8 n, epoch | u16 count | count × (u16 n, table name UTF-8 | u8 n, version) | u8 n, watermark
 *           | i32 n, frames
 * </pre>
 */
public final class CachedResult {

    /** First four bytes of every stored entry; the lookup script checks them too. */
    static final byte[] MAGIC = {'P', 'G', 'R', 2};

    private static final int FRAME_HEADER = 5;
    private static final int MAX_NAME_BYTES = 0xFFFF;

    private final byte[] frames;
    private final long epoch;
    private final Map<String, Long> versions;
    private final long watermark;

    /** A result without a last-write watermark. */
    public CachedResult(byte[] frames, long epoch, Map<String, Long> versions) {
        this(frames, epoch, versions, 0);
    }

    /**
     * @param frames   complete backend frames; kept, not copied: do not modify it afterwards
     * @param epoch    the database epoch read before the query, positive
     * @param versions table name to version read before the query
     * @param watermark the tables' last-write WAL position read before the query: whoever is shown this result
     *                  must not be shown anything older afterwards
     * @throws IllegalArgumentException if the frames are not a sequence of whole frames
     */
    public CachedResult(byte[] frames, long epoch, Map<String, Long> versions, long watermark) {
        this.frames = Objects.requireNonNull(frames, "frames");
        if (epoch < 0) {
            throw new IllegalArgumentException("negative epoch: " + epoch);
        }
        this.epoch = epoch;
        if (watermark < 0) {
            throw new IllegalArgumentException("negative watermark: " + watermark);
        }
        this.watermark = watermark;
        if (versions.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many tables: " + versions.size());
        }
        versions.forEach((table, version) -> {
            if (version < 0 || table.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw new IllegalArgumentException("bad table version " + table + "=" + version);
            }
        });
        this.versions = Collections.unmodifiableMap(new LinkedHashMap<>(versions));
        checkFrames(frames);
    }

    /** A result whose validity is tied to the versions read before its query. */
    public static CachedResult of(byte[] frames, TableVersions readBefore) {
        return new CachedResult(frames, readBefore.epoch(), readBefore.versions(), readBefore.watermark());
    }

    /** The frames to replay; the array itself, not a copy: do not modify it. */
    public byte[] frames() {
        return frames;
    }

    /** Size of the frames in bytes. */
    public int size() {
        return frames.length;
    }

    /** The database epoch the result was read under. */
    public long epoch() {
        return epoch;
    }

    /** The last-write watermark of the tables when the result was read. */
    public long watermark() {
        return watermark;
    }

    /** The table versions the result was read under. */
    public Map<String, Long> versions() {
        return versions;
    }

    /** The stored form (see the class comment). */
    public byte[] encode() {
        byte[] epochText = ascii(epoch);
        byte[] watermarkText = ascii(watermark);
        int size = MAGIC.length + 1 + epochText.length + 2 + 1 + watermarkText.length + 4 + frames.length;
        Map<byte[], byte[]> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Long> each : versions.entrySet()) {
            byte[] name = each.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] version = ascii(each.getValue());
            entries.put(name, version);
            size += 2 + name.length + 1 + version.length;
        }
        ByteBuffer result = ByteBuffer.allocate(size);
        result.put(MAGIC).put((byte) epochText.length).put(epochText).putShort((short) entries.size());
        entries.forEach((name, version) -> result.putShort((short) name.length).put(name)
                .put((byte) version.length).put(version));
        result.put((byte) watermarkText.length).put(watermarkText);
        result.putInt(frames.length).put(frames);
        return result.array();
    }

    /**
     * Reads the stored form.
     *
     * @throws IllegalArgumentException if it is truncated, has trailing bytes, or is not an entry of this format
     */
    public static CachedResult decode(byte[] stored) {
        ByteBuffer in = ByteBuffer.wrap(stored);
        byte[] magic = take(in, MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException("not a cached result (magic " + Arrays.toString(magic) + ")");
        }
        long epoch = parseDecimal(take(in, Byte.toUnsignedInt(take(in, 1)[0])));
        int count = Short.toUnsignedInt(ByteBuffer.wrap(take(in, 2)).getShort());
        Map<String, Long> versions = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            int nameLength = Short.toUnsignedInt(ByteBuffer.wrap(take(in, 2)).getShort());
            String name = new String(take(in, nameLength), StandardCharsets.UTF_8);
            versions.put(name, parseDecimal(take(in, Byte.toUnsignedInt(take(in, 1)[0]))));
        }
        long watermark = parseDecimal(take(in, Byte.toUnsignedInt(take(in, 1)[0])));
        int length = ByteBuffer.wrap(take(in, 4)).getInt();
        if (length < 0) {
            throw new IllegalArgumentException("negative frames length " + length);
        }
        byte[] frames = take(in, length);
        if (in.hasRemaining()) {
            throw new IllegalArgumentException(in.remaining() + " trailing bytes after a cached result");
        }
        return new CachedResult(frames, epoch, versions, watermark);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CachedResult that && epoch == that.epoch && watermark == that.watermark
                && versions.equals(that.versions) && Arrays.equals(frames, that.frames);
    }

    @Override
    public int hashCode() {
        return Objects.hash(epoch, watermark, versions, Arrays.hashCode(frames));
    }

    @Override
    public String toString() {
        return "CachedResult[" + frames.length + " bytes, epoch=" + epoch + ", versions=" + versions + ", watermark="
                + watermark + "]";
    }

    private static byte[] take(ByteBuffer in, int length) {
        if (in.remaining() < length) {
            throw new IllegalArgumentException("truncated cached result: need " + length + " bytes at "
                    + in.position() + ", have " + in.remaining());
        }
        byte[] result = new byte[length];
        in.get(result);
        return result;
    }

    private static long parseDecimal(byte[] text) {
        try {
            return Long.parseLong(new String(text, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in a cached result", e);
        }
    }

    private static byte[] ascii(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    // Each frame: type byte, int32 length counting itself, body.
    private static void checkFrames(byte[] frames) {
        ByteBuffer in = ByteBuffer.wrap(frames);
        while (in.hasRemaining()) {
            if (in.remaining() < FRAME_HEADER) {
                throw new IllegalArgumentException("partial frame header at " + in.position());
            }
            int length = in.getInt(in.position() + 1);
            if (length < 4 || length - 4 > in.remaining() - FRAME_HEADER) {
                throw new IllegalArgumentException("bad frame length " + length + " at " + in.position());
            }
            in.position(in.position() + 1 + length);
        }
    }
}
