package io.pgroute.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import io.pgroute.protocol.frontend.Bind;
import org.junit.jupiter.api.Test;

class PgFrameTest {

    private static PgFrame frame(String body) {
        ByteBuf buffer = Unpooled.buffer();
        buffer.writeCharSequence(body, StandardCharsets.UTF_8);
        return new PgFrame((byte) 'P', buffer);
    }

    @Test
    void cStringReadsTheNthStringWithoutMovingTheBody() {
        PgFrame parse = frame("stmt\0select 'é' from t\0\0\0");
        int before = parse.body().readerIndex();

        assertThat(parse.cString(1)).isEqualTo("select 'é' from t");
        assertThat(parse.cString(0)).isEqualTo("stmt");
        assertThat(parse.cString(2)).isEmpty();
        assertThat(parse.body().readerIndex()).isEqualTo(before);
        parse.release();
    }

    @Test
    void cStringDecodesTheSameStringOnce() {
        PgFrame query = frame("select 1\0");

        assertThat(query.cString(0)).isSameAs(query.cString(0));
        query.release();
    }

    @Test
    void aParsesNameAndTextAreEachDecodedOnceWhicheverIsReadFirst() {
        PgFrame parse = frame("stmt\0select 1\0\0\0");

        String text = parse.cString(1);
        String name = parse.cString(0);

        // routing reads the text, translation the name and then the text again
        assertThat(parse.cString(1)).isSameAs(text).isEqualTo("select 1");
        assertThat(parse.cString(0)).isSameAs(name).isEqualTo("stmt");
        parse.release();
    }

    @Test
    void hasCStringsTellsWhetherTheStringsAreTerminated() {
        PgFrame bind = frame("portal\0stmt\0xy");
        PgFrame unterminated = frame("\0x");
        PgFrame describe = frame("Sname\0");
        PgFrame empty = frame("");

        assertThat(bind.hasCStrings(0, 2)).isTrue();
        assertThat(bind.hasCStrings(0, 3)).isFalse();
        assertThat(unterminated.hasCStrings(0, 1)).isTrue();
        assertThat(unterminated.hasCStrings(0, 2)).isFalse();
        assertThat(describe.hasCStrings(1, 1)).isTrue();
        assertThat(empty.hasCStrings(1, 1)).isFalse();
        assertThat(empty.hasCStrings(0, 0)).isTrue();
        for (PgFrame each : new PgFrame[] {bind, unterminated, describe, empty}) {
            each.release();
        }
    }

    @Test
    void cStringWithoutItsTerminatorIsAProtocolError() {
        PgFrame truncated = frame("stmt\0select 1");

        assertThatThrownBy(() -> truncated.cString(1)).isInstanceOf(ProtocolException.class)
                .hasMessage("invalid string in message");
        assertThatThrownBy(() -> truncated.cString(3)).isInstanceOf(ProtocolException.class);
        assertThat(truncated.cString(0)).isEqualTo("stmt");
        truncated.release();
    }

    @Test
    void aFrameWrittenOutCanBeRewoundAndWrittenAgainAsItWas() {
        ByteBuf wire = Unpooled.directBuffer();
        wire.writeByte('Q').writeInt(4 + 9).writeCharSequence("select 1\0", StandardCharsets.US_ASCII);
        PgFrame query = new PgFrame((byte) 'Q', wire.slice(5, 9), wire);
        long position = query.position();
        assertThat(query.wire()).isSameAs(wire);

        wire.skipBytes(wire.readableBytes());  // as a socket write leaves it
        query.body().skipBytes(3);
        assertThat(query.wire()).as("read from: its bytes are no longer the frame's").isNull();

        query.rewind(position);
        assertThat(query.wire()).isSameAs(wire);
        assertThat(wire.readableBytes()).isEqualTo(14);
        assertThat(query.body().readableBytes()).isEqualTo(9);
        assertThat(query.cString(0)).isEqualTo("select 1");
        query.release();
    }

    /** {@code body} as a relayed frame has it: a slice, past other bytes, of a direct buffer. */
    private static PgFrame relayed(byte type, ByteBuf body) {
        ByteBuf buffer = Unpooled.directBuffer();
        buffer.writeBytes(new byte[] {'x', 0, 'y', 0, 0, 0, 0});
        int start = buffer.writerIndex();
        buffer.writeBytes(body);
        buffer.writeBytes(new byte[] {0, 'z', 0});
        body.release();
        PgFrame frame = new PgFrame(type, buffer.retainedSlice(start, buffer.writerIndex() - start - 3));
        buffer.release();
        return frame;
    }

    @Test
    void cStringReadsADirectSliceAndABodyAboveTheCopyLimitAlike() {
        String long1 = "select '" + "a".repeat(10_000) + "'";
        for (String first : new String[] {"stmt", long1}) {
            ByteBuf body = Unpooled.buffer();
            body.writeCharSequence(first + "\0select 'é'\0\0", StandardCharsets.UTF_8);
            PgFrame parse = relayed((byte) 'P', body);

            assertThat(parse.cString(1)).isEqualTo("select 'é'");
            assertThat(parse.cString(0)).isEqualTo(first);
            assertThat(parse.cString(2)).isEmpty();
            assertThatThrownBy(() -> parse.cString(3)).isInstanceOf(ProtocolException.class);
            parse.release();
        }
    }

    @Test
    void decodeReadsADirectSliceAndABodyAboveTheCopyLimitAlike() {
        for (int size : new int[] {3, 20_000}) {
            Bind bind = new Bind("", "P0_1", new short[] {1}, new byte[][] {new byte[size], null},
                    new short[0]);
            ByteBuf body = Unpooled.buffer();
            bind.encodeBody(body);
            PgFrame frame = relayed((byte) 'B', body);
            int before = frame.body().readerIndex();

            assertThat(frame.decode(Bind::decode)).isEqualTo(bind);
            assertThat(frame.body().readerIndex()).isEqualTo(before);
            frame.release();
        }
    }
}
