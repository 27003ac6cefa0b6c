package io.pgroute.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
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
    void cStringWithoutItsTerminatorIsAProtocolError() {
        PgFrame truncated = frame("stmt\0select 1");

        assertThatThrownBy(() -> truncated.cString(1)).isInstanceOf(ProtocolException.class)
                .hasMessage("invalid string in message");
        assertThatThrownBy(() -> truncated.cString(3)).isInstanceOf(ProtocolException.class);
        assertThat(truncated.cString(0)).isEqualTo("stmt");
        truncated.release();
    }
}
