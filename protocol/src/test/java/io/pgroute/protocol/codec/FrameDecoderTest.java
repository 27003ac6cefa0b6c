package io.pgroute.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.frontend.Query;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameDecoderTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(16));

    @AfterEach
    void finish() {
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void decodesWholeFrame() {
        channel.writeInbound(frame('Q', "SELECT 1\0"));

        assertNextFrame('Q', "SELECT 1\0");
        assertThat((Object) channel.readInbound()).isNull();
    }

    @Test
    void aStreamOfLargeMessagesKeepsOnlyTheUnframedBytes() {
        // as a proxy sees a batch of 900 kB Binds: an event-loop pass reads 16 times, then its read-complete flushes
        // the frames framed in the pass, which releases them; the decoder's own clean-up comes before that flush, when
        // the frames still share its buffer. Growing that buffer in place then kept every byte already framed: it
        // grew by a megabyte each pass (to 112 MB, and out of direct memory, in a run of three such clients).
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        EmbeddedChannel large = new EmbeddedChannel(new FrameDecoder(1 << 20));
        large.config().setAllocator(alloc);
        byte[] body = new byte[900_000];
        ByteBuf stream = Unpooled.buffer();
        for (int i = 0; i < 60; i++) {
            stream.writeByte('B').writeInt(body.length + 4).writeBytes(body);
        }
        long most = 0;
        int frames = 0;
        while (stream.isReadable()) {
            for (int read = 0; read < 16 && stream.isReadable(); read++) {
                large.pipeline().fireChannelRead(stream.readRetainedSlice(Math.min(64 * 1024,
                        stream.readableBytes())));
                most = Math.max(most, alloc.metric().usedHeapMemory());
            }
            large.pipeline().fireChannelReadComplete();
            for (PgFrame relayed; (relayed = large.readInbound()) != null; ) {
                relayed.release();  // flushed after the read-complete
                frames++;
            }
        }
        stream.release();
        assertThat(frames).isEqualTo(60);
        assertThat(most).as("bytes held by the decoder: about two messages, not the stream").isLessThan(4 << 20);
        assertThat(large.finishAndReleaseAll()).isFalse();
    }

    @Test
    void decodesFrameSplitInHeaderAndBody() {
        ByteBuf bytes = frame('Q', "SELECT 1\0");
        channel.writeInbound(bytes.readRetainedSlice(3));
        assertThat((Object) channel.readInbound()).isNull();
        channel.writeInbound(bytes.readRetainedSlice(4));
        assertThat((Object) channel.readInbound()).isNull();
        channel.writeInbound(bytes);

        assertNextFrame('Q', "SELECT 1\0");
    }

    @Test
    void decodesOneByteAtATime() {
        ByteBuf bytes = Unpooled.wrappedBuffer(frame('Z', "I"), frame('C', "SELECT 1\0"));
        while (bytes.isReadable()) {
            channel.writeInbound(bytes.readRetainedSlice(1));
        }
        bytes.release();

        assertNextFrame('Z', "I");
        assertNextFrame('C', "SELECT 1\0");
        assertThat((Object) channel.readInbound()).isNull();
    }

    @Test
    void decodesSeveralFramesInOneBuffer() {
        channel.writeInbound(Unpooled.wrappedBuffer(frame('1', ""), frame('2', ""), frame('D', "row")));

        assertNextFrame('1', "");
        assertNextFrame('2', "");
        assertNextFrame('D', "row");
    }

    @Test
    void acceptsBodyOfExactlyTheMaximum() {
        channel.writeInbound(frame('d', "0123456789abcdef"));

        assertNextFrame('d', "0123456789abcdef");
    }

    @Test
    void rejectsOversizedLengthBeforeTheBodyArrives() {
        ByteBuf header = Unpooled.buffer().writeByte('d').writeInt(4 + 17);

        assertThatThrownBy(() -> channel.writeInbound(header)).isInstanceOf(ProtocolException.class)
                .hasMessage("invalid message length");
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 0, -1, Integer.MIN_VALUE})
    void rejectsTooSmallOrNegativeLength(int length) {
        ByteBuf header = Unpooled.buffer().writeByte('Q').writeInt(length);

        assertThatThrownBy(() -> channel.writeInbound(header)).isInstanceOf(ProtocolException.class)
                .hasMessage("invalid message length");
    }

    @Test
    void discardsInputAfterABadLength() {
        assertThatThrownBy(() -> channel.writeInbound(Unpooled.buffer().writeByte('Q').writeInt(1)))
                .isInstanceOf(ProtocolException.class);

        channel.writeInbound(frame('Q', "SELECT 1\0"));

        assertThat((Object) channel.readInbound()).isNull();
    }

    @Test
    void decodedFramesAreRelayedAsTheBytesTheyArrivedIn() {
        EmbeddedChannel relay = new EmbeddedChannel(PgFrameEncoder.INSTANCE);
        channel.writeInbound(frame('Q', "SELECT 1\0"));
        PgFrame frame = channel.readInbound();
        ByteBuf wire = frame.wire();
        assertThat(wire).isNotNull();

        relay.writeOutbound(frame);

        ByteBuf relayed = relay.readOutbound();
        try {
            assertThat(relayed).isSameAs(wire);
            assertThat(ByteBufUtil.hexDump(relayed)).isEqualTo("510000000d" + ByteBufUtil.hexDump(
                    "SELECT 1\0".getBytes(StandardCharsets.UTF_8)));
            assertThat((Object) relay.readOutbound()).as("one buffer per frame").isNull();
        } finally {
            relayed.release();
        }
        assertThat(relay.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aFrameWithoutItsArrivalBytesIsRelayedAsHeaderAndBodyWithoutCopying() {
        EmbeddedChannel relay = new EmbeddedChannel(PgFrameEncoder.INSTANCE);
        channel.writeInbound(frame('Q', "SELECT 1\0"));
        PgFrame decoded = channel.readInbound();
        PgFrame frame = decoded.replace(decoded.body());  // e.g. a rewritten or duplicated frame
        ByteBuf body = frame.body();

        relay.writeOutbound(frame);

        ByteBuf header = relay.readOutbound();
        ByteBuf relayedBody = relay.readOutbound();
        try {
            assertThat(ByteBufUtil.hexDump(header)).isEqualTo("510000000d");
            assertThat(relayedBody).isSameAs(body);
            assertThat(relayedBody.toString(StandardCharsets.UTF_8)).isEqualTo("SELECT 1\0");
        } finally {
            header.release();
            relayedBody.release();
        }
        assertThat(relay.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aFrameWhoseBodyWasReadIsRelayedFromWhatIsLeft() {
        channel.writeInbound(frame('Q', "SELECT 1\0"));
        PgFrame frame = channel.readInbound();
        try {
            frame.body().skipBytes(1);
            assertThat(frame.wire()).as("no longer the arrival bytes").isNull();
        } finally {
            frame.release();
        }
    }

    @Test
    void frameDecodesFromADuplicate() {
        channel.writeInbound(frame('Q', "SELECT 1\0"));
        PgFrame frame = channel.readInbound();
        try {
            assertThat(frame.is(FrontendType.QUERY)).isTrue();
            assertThat(frame.is(BackendType.COMMAND_COMPLETE)).isFalse();
            assertThat(frame.frontendType()).isEqualTo(FrontendType.QUERY);
            assertThat(frame.decode(Query::decode)).isEqualTo(new Query("SELECT 1"));
            assertThat(frame.body().readableBytes()).isEqualTo(9);
            assertThat(frame.wireLength()).isEqualTo(14);

            PgFrame duplicate = frame.retainedDuplicate();
            assertThat(duplicate.type()).isEqualTo((byte) 'Q');
            assertThat(duplicate).isEqualTo(frame);
            duplicate.release();
        } finally {
            frame.release();
        }
    }

    @Test
    void backendDecoderFramesConsecutiveDataRowsAsOneRunWithTheirBytesUnchanged() {
        EmbeddedChannel backend = new EmbeddedChannel(new FrameDecoder(16, true));
        ByteBuf input = Unpooled.wrappedBuffer(frame('T', "t"), frame('D', "r1"), frame('D', "r2"), frame('D', "r3"),
                frame('C', "SELECT 3\0"), frame('D', "r4"), frame('Z', "I"));
        byte[] expectedRun = ByteBufUtil.getBytes(Unpooled.wrappedBuffer(frame('D', "r1"), frame('D', "r2"),
                frame('D', "r3")));
        backend.writeInbound(input);

        PgFrame description = backend.readInbound();
        PgFrame run = backend.readInbound();
        PgFrame complete = backend.readInbound();
        PgFrame single = backend.readInbound();
        PgFrame ready = backend.readInbound();
        try {
            assertThat((char) description.type()).isEqualTo('T');
            assertThat(run.isRun()).isTrue();
            assertThat(run.frames()).isEqualTo(3);
            assertThat(run.type()).isEqualTo(BackendType.DATA_ROW.code());
            assertThat(ByteBufUtil.getBytes(run.wire())).isEqualTo(expectedRun);
            assertThat(run.wireLength()).isEqualTo(expectedRun.length);
            assertThatThrownBy(run::body).isInstanceOf(IllegalStateException.class);
            assertThat(complete.body().toString(StandardCharsets.UTF_8)).isEqualTo("SELECT 3\0");
            assertThat(single.isRun()).as("a DataRow alone is an ordinary frame").isFalse();
            assertThat(single.body().toString(StandardCharsets.UTF_8)).isEqualTo("r4");
            assertThat((char) ready.type()).isEqualTo('Z');
        } finally {
            description.release();
            run.release();
            complete.release();
            single.release();
            ready.release();
        }
        assertThat(backend.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aRunStopsBeforeAnIncompleteDataRowWhichFollowsWhenComplete() {
        EmbeddedChannel backend = new EmbeddedChannel(new FrameDecoder(16, true));
        ByteBuf last = frame('D', "r3");
        backend.writeInbound(Unpooled.wrappedBuffer(frame('D', "r1"), frame('D', "r2"), last.readRetainedSlice(4)));
        PgFrame run = backend.readInbound();
        try {
            assertThat(run.frames()).isEqualTo(2);
            assertThat((Object) backend.readInbound()).isNull();
        } finally {
            run.release();
        }
        backend.writeInbound(last);
        PgFrame third = backend.readInbound();
        try {
            assertThat(third.isRun()).isFalse();
            assertThat(third.body().toString(StandardCharsets.UTF_8)).isEqualTo("r3");
        } finally {
            third.release();
        }
        assertThat(backend.finishAndReleaseAll()).isFalse();
    }

    @Test
    void aBadLengthAfterDataRowsEndsTheRunAndIsRejectedOnItsOwn() {
        EmbeddedChannel backend = new EmbeddedChannel(new FrameDecoder(16, true));
        ByteBuf bad = Unpooled.buffer().writeByte('D').writeInt(1000).writeZero(20);
        assertThatThrownBy(() -> backend.writeInbound(Unpooled.wrappedBuffer(frame('D', "r1"), frame('D', "r2"),
                bad))).isInstanceOf(ProtocolException.class);
        PgFrame run = backend.readInbound();
        try {
            assertThat(run.frames()).isEqualTo(2);
        } finally {
            run.release();
        }
        backend.finishAndReleaseAll();
    }

    @Test
    void aLongDataRowOrCopyDataGoesOnInPiecesAsItArrivesAndAShortOneWhole() {
        EmbeddedChannel backend = new EmbeddedChannel(new FrameDecoder(1000, true, 8, (byte) 'D', (byte) 'd'));
        ByteBuf big = frame('D', "0123456789abcdef");  // body 16 > 8
        byte[] bigBytes = ByteBufUtil.getBytes(big);
        backend.writeInbound(big.readRetainedSlice(3));  // not even the length yet
        assertThat((Object) backend.readInbound()).isNull();
        backend.writeInbound(big.readRetainedSlice(6));
        backend.writeInbound(big.readRetainedSlice(5));
        backend.writeInbound(Unpooled.wrappedBuffer(big, frame('d', "short"), frame('C', "SELECT 1\0")));
        ByteBuf relayed = Unpooled.buffer();
        PgFrame first = backend.readInbound();
        PgFrame middle = backend.readInbound();
        PgFrame last = backend.readInbound();
        PgFrame copyData = backend.readInbound();
        PgFrame complete = backend.readInbound();
        try {
            for (PgFrame each : new PgFrame[] {first, middle, last}) {
                assertThat(each.isPiece()).isTrue();
                assertThat(each.isRaw()).isTrue();
                assertThat((char) each.type()).isEqualTo('D');
                relayed.writeBytes(each.wire(), each.wire().readerIndex(), each.wire().readableBytes());
            }
            assertThat(first.wireLength()).isEqualTo(9);
            assertThat(first.body().toString(StandardCharsets.UTF_8)).as("what came of the body").isEqualTo("0123");
            assertThat(first.startsMessage()).isTrue();
            assertThat(middle.startsMessage()).isFalse();
            assertThatThrownBy(middle::body).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(last::body).isInstanceOf(IllegalStateException.class);
            assertThat(first.endsMessage()).isFalse();
            assertThat(middle.endsMessage()).isFalse();
            assertThat(last.endsMessage()).isTrue();
            assertThat(ByteBufUtil.getBytes(relayed)).isEqualTo(bigBytes);
            assertThat(copyData.isPiece()).as("short: whole").isFalse();
            assertThat(copyData.endsMessage()).isTrue();
            assertThat(copyData.body().toString(StandardCharsets.UTF_8)).isEqualTo("short");
            assertThat(complete.body().toString(StandardCharsets.UTF_8)).isEqualTo("SELECT 1\0");
        } finally {
            relayed.release();
            for (PgFrame each : new PgFrame[] {first, middle, last, copyData, complete}) {
                each.release();
            }
        }
        assertThat(backend.finishAndReleaseAll()).isFalse();
    }

    /** A type given its own length later (a client's Query, once it logged in) goes in pieces above that one. */
    @Test
    void eachStreamedTypeHasItsOwnLength() {
        FrameDecoder decoder = new FrameDecoder(1000, false, 8, (byte) 'B');
        EmbeddedChannel client = new EmbeddedChannel(decoder);
        ByteBuf query = frame('Q', "0123456789abcdef");  // body 16
        client.writeInbound(query.readRetainedSlice(10));
        assertThat(client.inboundMessages()).as("not streamed yet: waits for the whole").isEmpty();
        client.writeInbound(query);
        PgFrame whole = client.readInbound();
        assertThat(whole.isPiece()).isFalse();
        whole.release();

        decoder.streamAbove((byte) 'Q', 12);
        ByteBuf longer = frame('Q', "0123456789abcdef");
        ByteBuf shorter = frame('Q', "0123456789ab");  // 12: not above
        ByteBuf bind = frame('B', "0123456789");  // 10 > 8: still streamed
        client.writeInbound(longer.readRetainedSlice(13));
        PgFrame first = client.readInbound();
        assertThat(first.isPiece()).isTrue();
        assertThat(first.startsMessage()).isTrue();
        client.writeInbound(Unpooled.wrappedBuffer(longer, shorter));
        PgFrame rest = client.readInbound();
        assertThat(rest.endsMessage()).isTrue();
        assertThat(rest.startsMessage()).isFalse();
        PgFrame other = client.readInbound();
        assertThat(other.isPiece()).isFalse();
        client.writeInbound(bind.readRetainedSlice(9));
        PgFrame bindPiece = client.readInbound();
        assertThat(bindPiece.isPiece()).as("Bind keeps its own length").isTrue();
        for (PgFrame each : new PgFrame[] {first, rest, other, bindPiece}) {
            each.release();
        }
        bind.release();
        client.finishAndReleaseAll();
    }

    @Test
    void aLongMessageThatArrivedWholeIsAnOrdinaryFrameAndOtherTypesAreNeverPieces() {
        EmbeddedChannel backend = new EmbeddedChannel(new FrameDecoder(1000, true, 8, (byte) 'D', (byte) 'd'));
        backend.writeInbound(frame('D', "0123456789abcdef"));
        ByteBuf error = frame('E', "0123456789abcdef");
        backend.writeInbound(error.readRetainedSlice(10));
        assertThat(backend.inboundMessages()).hasSize(1);
        backend.writeInbound(error);
        PgFrame row = backend.readInbound();
        PgFrame notice = backend.readInbound();
        try {
            assertThat(row.isPiece()).isFalse();
            assertThat(row.body().readableBytes()).isEqualTo(16);
            assertThat(notice.isPiece()).isFalse();
            assertThat(notice.body().readableBytes()).isEqualTo(16);
        } finally {
            row.release();
            notice.release();
        }
        assertThat(backend.finishAndReleaseAll()).isFalse();
    }

    @Test
    void clientDecoderNeverBuildsRuns() {
        channel.writeInbound(Unpooled.wrappedBuffer(frame('D', "S1"), frame('D', "P2")));
        assertNextFrame('D', "S1");
        assertNextFrame('D', "P2");
    }

    private void assertNextFrame(char type, String body) {
        PgFrame frame = channel.readInbound();
        try {
            assertThat(frame).isNotNull();
            assertThat((char) frame.type()).isEqualTo(type);
            assertThat(frame.body().toString(StandardCharsets.UTF_8)).isEqualTo(body);
        } finally {
            frame.release();
        }
    }

    private static ByteBuf frame(char type, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer().writeByte(type).writeInt(4 + bytes.length).writeBytes(bytes);
    }

    @Test
    void aRaisedLimitAppliesFromTheNextFrame() {
        FrameDecoder decoder = new FrameDecoder(8);
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        ByteBuf twelve = Unpooled.buffer().writeByte('p').writeInt(16).writeBytes(new byte[12]);

        decoder.maxFrameBytes(12);
        channel.writeInbound(twelve);
        PgFrame frame = channel.readInbound();
        assertThat(frame.body().readableBytes()).isEqualTo(12);
        frame.release();

        decoder.maxFrameBytes(8);
        ByteBuf again = Unpooled.buffer().writeByte('p').writeInt(16).writeBytes(new byte[12]);
        assertThatThrownBy(() -> channel.writeInbound(again)).isInstanceOf(ProtocolException.class);
        channel.finishAndReleaseAll();
    }
}
