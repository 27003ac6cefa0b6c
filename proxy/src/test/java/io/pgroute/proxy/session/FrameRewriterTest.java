package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.pgroute.protocol.PgFrame;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class FrameRewriterTest {

    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @Test
    void renamesTheStatementOfAWholeBind() {
        ByteBuf wire = bind("portal", "S_1", "value");
        PgFrame renamed = FrameRewriter.replaceCString(ALLOC, new PgFrame((byte) 'B',
                wire.slice(5, wire.readableBytes() - 5), wire), 0, 1, "pgr_abcdef");
        try {
            assertThat(renamed.body().toString(StandardCharsets.ISO_8859_1)).isEqualTo("portal\0pgr_abcdef\0value");
        } finally {
            renamed.release();
        }
    }

    @Test
    void renamesTheStatementOfABindTooLongToCopyAndSharesItsValues() {
        String values = "v".repeat(1000);
        ByteBuf wire = bind("", "S_1", values);
        PgFrame renamed = FrameRewriter.replaceCString(ALLOC, new PgFrame((byte) 'B',
                wire.slice(5, wire.readableBytes() - 5), wire), 0, 1, "pgr_abcdef");
        try {
            assertThat(renamed.body().toString(StandardCharsets.ISO_8859_1)).isEqualTo("\0pgr_abcdef\0" + values);
            assertThat(renamed.body()).isInstanceOf(io.netty.buffer.CompositeByteBuf.class);
            assertThat(wire.refCnt()).isEqualTo(1);  // its values' bytes, kept by the new body
        } finally {
            renamed.release();
        }
        assertThat(wire.refCnt()).isZero();
    }

    @Test
    void renamingTheFirstPieceOfABindChangesTheLengthOfTheWholeMessage() {
        ByteBuf whole = bind("", "S_1", "v".repeat(100));
        byte[] expected = ByteBufUtil.getBytes(bind("", "pgr_abcdef", "v".repeat(100)));
        PgFrame first = PgFrame.piece((byte) 'B', whole.readRetainedSlice(40), true, false);
        PgFrame rest = PgFrame.piece((byte) 'B', whole.readRetainedSlice(whole.readableBytes()), false, true);
        whole.release();
        PgFrame renamed = FrameRewriter.replaceCString(ALLOC, first, 0, 1, "pgr_abcdef");
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        try {
            assertThat(renamed.isPiece()).isTrue();
            assertThat(renamed.endsMessage()).isFalse();
            sent.writeBytes(ByteBufUtil.getBytes(renamed.wire()));
            sent.writeBytes(ByteBufUtil.getBytes(rest.wire()));
            assertThat(sent.toByteArray()).isEqualTo(expected);
        } finally {
            renamed.release();
            rest.release();
        }
    }

    private static ByteBuf bind(String portal, String statement, String rest) {
        byte[] body = (portal + "\0" + statement + "\0" + rest).getBytes(StandardCharsets.ISO_8859_1);
        return Unpooled.buffer().writeByte('B').writeInt(4 + body.length).writeBytes(body);
    }
}
