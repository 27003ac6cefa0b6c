package io.pgroute.jmh.codec;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.codec.FrameDecoder;
import io.pgroute.protocol.codec.PgFrameEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The relay of a result set: one socket read's worth of DataRow frames framed by {@link FrameDecoder} and written
 * back out through {@link PgFrameEncoder}, each in its own {@link EmbeddedChannel} as in the backend and client
 * pipelines. Scores are frames per second ({@link OperationsPerInvocation} = rows per read).
 *
 * <p>{@code decodeAndRelay} writes every frame and flushes once per read, as the relay does; {@code decodeOnly}
 * frames and releases, so the difference is the encoder and the outbound pipeline. Both include EmbeddedChannel's
 * own cost (its inbound/outbound queues and pipeline traversal), which a real channel has in another form.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class FrameRelayBench {

    private static final int ROWS = 100;
    private static final long MAX_FRAME_BYTES = 1 << 20;

    /** Bytes of one DataRow frame on the wire, type and length included. */
    @Param("100")
    public int rowBytes;

    private ByteBuf input;
    private EmbeddedChannel backend;
    private EmbeddedChannel client;

    @Setup(Level.Trial)
    public void setUp() {
        input = PooledByteBufAllocator.DEFAULT.directBuffer(ROWS * rowBytes);
        for (int i = 0; i < ROWS; i++) {
            writeDataRow(input, i, rowBytes);
        }
        backend = new EmbeddedChannel(new FrameDecoder(MAX_FRAME_BYTES));
        client = new EmbeddedChannel(PgFrameEncoder.INSTANCE);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.finishAndReleaseAll();
        client.finishAndReleaseAll();
        input.release();
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void decodeAndRelay(Blackhole blackhole) {
        backend.writeInbound(input.retainedDuplicate());
        for (PgFrame each = backend.readInbound(); each != null; each = backend.readInbound()) {
            client.write(each);
        }
        client.flush();
        for (ByteBuf each = client.readOutbound(); each != null; each = client.readOutbound()) {
            blackhole.consume(each.readableBytes());
            each.release();
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void decodeOnly(Blackhole blackhole) {
        backend.writeInbound(input.retainedDuplicate());
        for (PgFrame each = backend.readInbound(); each != null; each = backend.readInbound()) {
            blackhole.consume(each.type());
            each.release();
        }
    }

    // DataRow: Byte1 'D', Int32 len, Int16 columns, columns × (Int32 n, Byte[n]); three text columns here
    private static void writeDataRow(ByteBuf out, int row, int wireBytes) {
        byte[] id = Integer.toString(row).getBytes(StandardCharsets.US_ASCII);
        byte[] balance = Integer.toString(row * 37 - 5000).getBytes(StandardCharsets.US_ASCII);
        int filler = wireBytes - 5 - 2 - 3 * 4 - id.length - balance.length;
        if (filler < 0) {
            throw new IllegalArgumentException("rowBytes too small: " + wireBytes);
        }
        out.writeByte(BackendType.DATA_ROW.code());
        out.writeInt(wireBytes - 1);
        out.writeShort(3);
        out.writeInt(id.length).writeBytes(id);
        out.writeInt(balance.length).writeBytes(balance);
        out.writeInt(filler);
        for (int i = 0; i < filler; i++) {
            out.writeByte(' ');
        }
    }
}
