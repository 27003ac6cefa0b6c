package io.pgroute.jmh.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgroute.protocol.BackendType;
import io.pgroute.proxy.cache.CachedResult;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What a cache hit does between Redis's reply and the write to the client: {@link CachedResult#decode} of the
 * stored entry (about 2 KB: RowDescription, 20 DataRows, CommandComplete, one table version) and
 * {@link Unpooled#wrappedBuffer} around its frames.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CacheHitBench {

    private static final int ROWS = 20;

    private byte[] stored;

    @Setup(Level.Trial)
    public void setUp() {
        ByteBuffer frames = ByteBuffer.allocate(4096);
        rowDescription(frames);
        for (int i = 0; i < ROWS; i++) {
            dataRow(frames, i);
        }
        commandComplete(frames, "SELECT " + ROWS);
        byte[] bytes = new byte[frames.position()];
        frames.flip().get(bytes);
        stored = new CachedResult(bytes, 7, Map.of("public.pgbench_accounts", 4242L), 0x3000_0A28L).encode();
    }

    @Benchmark
    public void decodeAndWrap(Blackhole blackhole) {
        CachedResult result = CachedResult.decode(stored);
        ByteBuf reply = Unpooled.wrappedBuffer(result.frames());
        try {
            blackhole.consume(result.watermark());
            blackhole.consume(reply.readableBytes());
        } finally {
            reply.release();
        }
    }

    // RowDescription: Byte1 'T', Int32 len, Int16 n, n × (name\0, Int32 table, Int16 attnum, Int32 type,
    // Int16 typlen, Int32 typmod, Int16 format)
    private static void rowDescription(ByteBuffer out) {
        String[] names = {"aid", "bid", "abalance", "filler"};
        int[] types = {23, 23, 23, 1042};
        int start = out.position();
        out.put(BackendType.ROW_DESCRIPTION.code()).putInt(0).putShort((short) names.length);
        for (int i = 0; i < names.length; i++) {
            out.put(names[i].getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
            out.putInt(16_397).putShort((short) (i + 1)).putInt(types[i]);
            out.putShort((short) (types[i] == 23 ? 4 : -1)).putInt(types[i] == 23 ? -1 : 88).putShort((short) 0);
        }
        out.putInt(start + 1, out.position() - start - 1);
    }

    // DataRow: Byte1 'D', Int32 len, Int16 n, n × (Int32 len, Byte[len]); pgbench_accounts' four columns
    private static void dataRow(ByteBuffer out, int row) {
        String[] values = {Integer.toString(84_500 + row), "1", Integer.toString(row * 37 - 5000), " ".repeat(70)};
        int start = out.position();
        out.put(BackendType.DATA_ROW.code()).putInt(0).putShort((short) values.length);
        for (String each : values) {
            byte[] bytes = each.getBytes(StandardCharsets.US_ASCII);
            out.putInt(bytes.length).put(bytes);
        }
        out.putInt(start + 1, out.position() - start - 1);
    }

    // CommandComplete: Byte1 'C', Int32 len, String tag
    private static void commandComplete(ByteBuffer out, String tag) {
        byte[] bytes = tag.getBytes(StandardCharsets.US_ASCII);
        out.put(BackendType.COMMAND_COMPLETE.code()).putInt(4 + bytes.length + 1).put(bytes).put((byte) 0);
    }
}
