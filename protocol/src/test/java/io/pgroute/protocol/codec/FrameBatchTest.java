package io.pgroute.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameBatchTest {

    /** Counts what crosses it towards the socket. */
    private static final class Writes extends ChannelOutboundHandlerAdapter {
        private final List<Object> seen = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            seen.add(msg.getClass().getSimpleName());
            ctx.write(msg, promise);
        }
    }

    private final Writes nearSocket = new Writes();
    private final Writes nearTail = new Writes();
    private final EmbeddedChannel channel = new EmbeddedChannel(nearSocket, MessageEncoder.INSTANCE,
            PgFrameEncoder.INSTANCE, nearTail);
    private final FrameBatch batch = new FrameBatch(channel);
    private final ByteArrayOutputStream expected = new ByteArrayOutputStream();

    @Test
    void aLoneFrameGoesOutAsItCameAndPastTheEncoders() {
        PgFrame query = frame('Q', "SELECT 1\0");
        ByteBuf wire = query.wire();
        batch.add(query);
        batch.write();
        channel.flush();
        ByteBuf out = channel.readOutbound();
        assertThat(out).as("the frame's own bytes, not a copy").isSameAs(wire);
        assertThat(ByteBufUtil.getBytes(out)).isEqualTo(expected.toByteArray());
        out.release();
        assertThat(nearTail.seen).as("the encoders and what is before them are skipped").isEmpty();
        assertThat(nearSocket.seen).hasSize(1);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void framesThatFollowEachOtherInOneReadGoOutAsOneSliceOfItUncopied() {
        framesOfOneReadGoOutAsOneSliceOf(Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(64)).clear());
    }

    @Test
    void framesThatFollowEachOtherInAPooledReadGoOutAsOneSliceOfItUncopied() {
        // as in production, where leak detection is off: a tracked buffer's slices are wrapped, and not joined
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        ByteBuf read;
        try {
            read = new PooledByteBufAllocator(true).directBuffer(64);
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
        framesOfOneReadGoOutAsOneSliceOf(read);
    }

    private void framesOfOneReadGoOutAsOneSliceOf(ByteBuf read) {
        read.writeBytes(bytes('C', "UPDATE 1\0")).writeBytes(bytes('Z', "I")).writeBytes(bytes('Z', "T"));
        expected.writeBytes(ByteBufUtil.getBytes(read, 0, read.readableBytes()));
        for (int i = 0; i < 3; i++) {
            ByteBuf wire = read.readRetainedSlice(i == 0 ? 14 : 6);
            batch.add(new PgFrame(wire.getByte(0), wire.slice(5, wire.readableBytes() - 5), wire));
        }
        batch.write();
        channel.flush();
        ByteBuf out = channel.readOutbound();
        assertThat(out.unwrap()).as("a slice of the read, not a copy").isSameAs(read);
        assertThat(ByteBufUtil.getBytes(out)).isEqualTo(expected.toByteArray());
        out.release();
        assertThat(read.refCnt()).as("every slice released").isEqualTo(1);
        read.release();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void joinedFramesKeepTheirPlaceBeforeALargeFrameAndACopiedOne() {
        ByteBuf read = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(64)).clear();
        read.writeBytes(bytes('1', "")).writeBytes(bytes('2', "")).writeBytes(bytes('Z', "I"));
        expected.writeBytes(ByteBufUtil.getBytes(read, 0, 10));
        batch.add(sliceOf(read, 5));
        batch.add(sliceOf(read, 5));
        PgFrame large = frame('D', "x".repeat(1000));
        batch.add(large);
        expected.writeBytes(ByteBufUtil.getBytes(read, 10, 6));
        batch.add(sliceOf(read, 6));
        batch.add(rewritten('C', "SELECT 1\0"));
        writesExpectedInOneWrite();
        assertThat(read.refCnt()).isEqualTo(1);
        read.release();
    }

    /** The next {@code length} bytes of {@code read} as a frame, a retained slice as the decoder makes it. */
    private static PgFrame sliceOf(ByteBuf read, int length) {
        ByteBuf wire = read.readRetainedSlice(length);
        return new PgFrame(wire.getByte(0), wire.slice(5, length - 5), wire);
    }

    @Test
    void framesWithAGapBetweenThemAreCopiedInOrder() {
        ByteBuf read = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(64)).clear();
        read.writeBytes(bytes('C', "SELECT 1\0")).writeBytes(bytes('N', "skipped\0")).writeBytes(bytes('Z', "I"));
        ByteBuf first = read.retainedSlice(0, 14);
        ByteBuf last = read.retainedSlice(read.readableBytes() - 6, 6);
        expected.writeBytes(ByteBufUtil.getBytes(first));
        expected.writeBytes(ByteBufUtil.getBytes(last));
        batch.add(new PgFrame((byte) 'C', first.slice(5, 9), first));
        batch.add(new PgFrame((byte) 'Z', last.slice(5, 1), last));
        writesExpectedInOneWrite();
        assertThat(read.refCnt()).isEqualTo(1);
        read.release();
    }

    @Test
    void framesMessagesAndLargeFramesGoOutInOrderAsOneWrite() {
        batch.add(frame('P', "\0SELECT $1\0\0\0"));
        batch.addMessage(Sync.INSTANCE);
        expected.writeBytes(SYNC);
        batch.add(frame('D', "x".repeat(2000)));
        batch.add(rewritten('B', "\0\0\0\0\0\0\0\0"));
        batch.addMessage(new Query("SELECT 2"));
        expected.writeBytes(bytes('Q', "SELECT 2\0"));
        batch.add(frame('D', "y".repeat(3000)));
        batch.add(frame('Z', "I"));
        writesExpectedInOneWrite();
    }

    @Test
    void aLoneFrameBeforeALargeOneKeepsItsPlace() {
        batch.add(frame('T', "t"));
        batch.add(frame('D', "z".repeat(1000)));
        batch.add(frame('C', "SELECT 1\0"));
        batch.write();
        channel.flush();
        assertThat(outbound()).isEqualTo(expected.toByteArray());
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void manySmallAndLargeFramesStayInOrder() {
        for (int i = 0; i < 3000; i++) {
            batch.add(i % 7 == 0 ? frame('D', "large " + "w".repeat(600 + i)) : frame('D', "row " + i));
        }
        batch.write();
        channel.flush();
        assertThat(outbound()).isEqualTo(expected.toByteArray());
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aFullCompositeIsNeverCopiedIntoOneBuffer() {
        for (int i = 0; i < 1024; i++) {
            batch.add(frame('D', "large " + i + "w".repeat(600)));
        }
        batch.add(frame('C', "SELECT 1024\0"));
        batch.add(frame('Z', "I"));  // two small ones: copied into a buffer of their own
        batch.write();
        channel.flush();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf each; (each = channel.readOutbound()) != null; ) {
            if (each instanceof io.netty.buffer.CompositeByteBuf composite) {
                for (int i = 0; i < composite.numComponents(); i++) {
                    assertThat(composite.internalComponent(i).readableBytes()).as("frames kept, not consolidated")
                            .isLessThan(2_000);
                }
            }
            out.writeBytes(ByteBufUtil.getBytes(each));
            each.release();
        }
        assertThat(out.toByteArray()).isEqualTo(expected.toByteArray());
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void storedAnswersSmallAndLargeAreCopiedInOrderIntoOneWrite() {
        batch.add(frame('1', ""));
        byte[] small = bytes('C', "SELECT 1\0");
        byte[] large = bytes('D', "s".repeat(5000));
        batch.addCopy(small);
        expected.writeBytes(small);
        batch.addCopy(large);
        expected.writeBytes(large);
        batch.addMessage(Sync.INSTANCE);
        expected.writeBytes(SYNC);
        large[10] = 'X';  // the batch holds a copy
        assertThat(batch.readableBytes()).isEqualTo(expected.size());
        writesExpectedInOneWrite();
    }

    @Test
    void aMessageTheEncoderGivesUpOnLeavesNothingOfItBehind() {
        batch.add(frame('C', "SELECT 1\0"));
        batch.addMessage(Sync.INSTANCE);
        expected.writeBytes(SYNC);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> batch.addMessage(
                new Query("nul\0inside"))).isInstanceOf(IllegalArgumentException.class);
        batch.write();
        channel.flush();
        assertThat(outbound()).isEqualTo(expected.toByteArray());
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aLargeRewrittenFrameIsLeftToTheCaller() {
        PgFrame large = new PgFrame((byte) 'B', Unpooled.copiedBuffer("b".repeat(4000), StandardCharsets.US_ASCII));
        assertThat(batch.add(large)).isFalse();
        assertThat(large.refCnt()).isEqualTo(1);
        large.release();
        assertThat(batch.isEmpty()).isTrue();
    }

    @Test
    void discardReleasesWhatIsGathered() {
        PgFrame small = frame('D', "a");
        PgFrame large = frame('D', "b".repeat(2000));
        batch.add(small);
        batch.add(large);
        batch.addMessage(Sync.INSTANCE);
        batch.discard();
        assertThat(small.refCnt()).isZero();
        assertThat(large.refCnt()).isZero();
        assertThat(batch.isEmpty()).isTrue();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    private static final byte[] SYNC = {'S', 0, 0, 0, 4};

    /** Writes the batch: what was expected crosses the socket end of the pipeline as one write. */
    private void writesExpectedInOneWrite() {
        batch.write();
        channel.flush();
        assertThat(nearSocket.seen).as("one write").hasSize(1);
        assertThat(outbound()).isEqualTo(expected.toByteArray());
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    private byte[] outbound() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf each; (each = channel.readOutbound()) != null; ) {
            out.writeBytes(ByteBufUtil.getBytes(each));
            each.release();
        }
        return out.toByteArray();
    }

    /** A frame as the decoder makes it (its body a slice of its wire bytes), its bytes expected next. */
    private PgFrame frame(char type, String body) {
        byte[] wire = bytes(type, body);
        expected.writeBytes(wire);
        ByteBuf buffer = Unpooled.directBuffer().writeBytes(wire);
        return new PgFrame((byte) type, buffer.slice(5, wire.length - 5), buffer);
    }

    /** A frame whose body was rewritten: no wire bytes. */
    private PgFrame rewritten(char type, String body) {
        expected.writeBytes(bytes(type, body));
        return new PgFrame((byte) type, Unpooled.copiedBuffer(body, StandardCharsets.ISO_8859_1));
    }

    private static byte[] bytes(char type, String body) {
        byte[] content = body.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuf result = Unpooled.buffer();
        result.writeByte(type).writeInt(content.length + 4).writeBytes(content);
        return ByteBufUtil.getBytes(result);
    }
}
