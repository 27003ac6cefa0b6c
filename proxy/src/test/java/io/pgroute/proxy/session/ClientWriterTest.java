package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pgroute.protocol.PgFrame;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ClientWriterTest {

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final ClientWriter writer = new ClientWriter(channel);

    @Test
    void smallAndLargeFramesAndOtherMessagesReachTheClientInOrderByteForByte() {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        PgFrame description = frame('T', "x".repeat(20), expected);
        PgFrame run = PgFrame.dataRowRun(wire(expected, frame('D', "r".repeat(400)), frame('D', "s".repeat(400))), 2);
        PgFrame complete = frame('C', "SELECT 2\0", expected);
        ByteBuf other = Unpooled.copiedBuffer("other", StandardCharsets.US_ASCII);
        expected.writeBytes("other".getBytes(StandardCharsets.US_ASCII));
        PgFrame ready = frame('Z', "I", expected);

        writer.write(description);
        writer.write(run);
        writer.write(complete);
        writer.write(other);
        writer.write(ready);
        writer.flush();

        assertThat(outbound()).isEqualTo(expected.toByteArray());
        assertThat(description.refCnt()).isZero();
        assertThat(run.refCnt()).isZero();
        assertThat(complete.refCnt()).isZero();
        assertThat(ready.refCnt()).isZero();
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void manySmallFramesStayInOrderAcrossFullCopyBuffers() {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 2000; i++) {
            writer.write(frame('D', "row " + i, expected));
        }
        writer.flush();
        assertThat(outbound()).isEqualTo(expected.toByteArray());
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void whatIsGatheredIsWrittenBeforeTheChannelCloses() {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        writer.write(frame('Z', "I", expected));
        writer.writeAndClose(Unpooled.EMPTY_BUFFER);
        assertThat(outbound()).isEqualTo(expected.toByteArray());
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void piecesGoOutInOrderAndAnErrorInTheMiddleOfAMessageIsNotSent() {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        ByteBuf row = wireOf('D', "v".repeat(3000));
        PgFrame first = PgFrame.piece((byte) 'D', wire(expected, row.readRetainedSlice(1000)), true, false);
        PgFrame middle = PgFrame.piece((byte) 'D', wire(expected, row.readRetainedSlice(100)), false, false);
        row.release();
        writer.write(first);
        writer.write(middle);
        ByteBuf error = Unpooled.copiedBuffer("E-would-be-read-as-row-bytes", StandardCharsets.US_ASCII);
        writer.writeAndClose(error);  // the server went away before the rest of the row

        assertThat(outbound()).isEqualTo(expected.toByteArray());
        assertThat(error.refCnt()).isZero();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void afterTheLastPieceAnErrorIsSentAsUsual() {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        ByteBuf row = wireOf('D', "v".repeat(3000));
        writer.write(PgFrame.piece((byte) 'D', wire(expected, row.readRetainedSlice(1000)), true, false));
        writer.write(PgFrame.piece((byte) 'D', wire(expected, row.readRetainedSlice(row.readableBytes())), false, true));
        row.release();
        writer.writeAndClose(Unpooled.wrappedBuffer(wire(expected, wireOf('E', "fatal"))));

        assertThat(outbound()).isEqualTo(expected.toByteArray());
        assertThat(channel.isOpen()).isFalse();
    }

    private byte[] outbound() {
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        for (Object each = channel.readOutbound(); each != null; each = channel.readOutbound()) {
            ByteBuf buffer = (ByteBuf) each;
            result.writeBytes(ByteBufUtil.getBytes(buffer));
            buffer.release();
        }
        return result.toByteArray();
    }

    /** A frame as the decoder makes it (body a slice of the wire bytes), its bytes also appended to {@code into}. */
    private static PgFrame frame(char type, String body, ByteArrayOutputStream into) {
        ByteBuf wire = wireOf(type, body);
        into.writeBytes(ByteBufUtil.getBytes(wire));
        return new PgFrame((byte) type, wire.slice(5, wire.readableBytes() - 5), wire);
    }

    private static ByteBuf frame(char type, String body) {
        return wireOf(type, body);
    }

    private static ByteBuf wire(ByteArrayOutputStream into, ByteBuf... frames) {
        ByteBuf result = Unpooled.wrappedBuffer(frames);
        into.writeBytes(ByteBufUtil.getBytes(result));
        return result;
    }

    private static ByteBuf wireOf(char type, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        return Unpooled.buffer().writeByte(type).writeInt(4 + bytes.length).writeBytes(bytes);
    }
}
