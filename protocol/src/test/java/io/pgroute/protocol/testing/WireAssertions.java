package io.pgroute.protocol.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.codec.MessageEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Round-trip and malformed-input checks for typed messages (STYLE rule 22). Every buffer is released.
 */
public final class WireAssertions {

    private WireAssertions() {
    }

    /**
     * Encodes {@code message}, checks the bytes equal the type byte, length and the body written by
     * {@code expectedBody}, then checks that {@code decoder} reads the body back, completely, into an equal record.
     */
    public static <T> void assertRoundTrip(T message, Consumer<ByteBuf> expectedBody, Function<ByteBuf, T> decoder) {
        ByteBuf body = ByteBufAllocator.DEFAULT.buffer();
        ByteBuf expected = ByteBufAllocator.DEFAULT.buffer();
        ByteBuf encoded = MessageEncoder.encode(ByteBufAllocator.DEFAULT, message);
        try {
            expectedBody.accept(body);
            if (message instanceof FrontendMessage frontend) {
                expected.writeByte(frontend.type().code()).writeInt(body.readableBytes() + 4);
            } else if (message instanceof BackendMessage backend) {
                expected.writeByte(backend.type().code()).writeInt(body.readableBytes() + 4);
            } else {
                expected.writeInt(body.readableBytes() + 4);
            }
            expected.writeBytes(body);
            assertThat(ByteBufUtil.hexDump(encoded)).as("encoded %s", message)
                    .isEqualTo(ByteBufUtil.hexDump(expected));

            int headerLength = expected.readableBytes() - body.writerIndex();
            ByteBuf decodedBody = expected.skipBytes(headerLength);
            T decoded = decoder.apply(decodedBody);
            assertThat(decoded).isEqualTo(message);
            assertThat(decoded.hashCode()).isEqualTo(message.hashCode());
            assertThat(decodedBody.isReadable()).as("body read to the end").isFalse();
        } finally {
            body.release();
            expected.release();
            encoded.release();
        }
    }

    /** Checks that {@code decoder} throws {@link ProtocolException} on the body written by {@code body}. */
    public static void assertMalformed(Function<ByteBuf, ?> decoder, Consumer<ByteBuf> body) {
        ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer();
        try {
            body.accept(buffer);
            assertThatThrownBy(() -> decoder.apply(buffer)).isInstanceOf(ProtocolException.class)
                    .extracting(e -> ((ProtocolException) e).sqlState()).isEqualTo("08P01");
        } finally {
            buffer.release();
        }
    }

    /** Writes {@code value} as UTF-8 and a NUL, independently of the code under test. */
    public static void cstring(ByteBuf out, String value) {
        out.writeBytes(value.getBytes(StandardCharsets.UTF_8)).writeByte(0);
    }
}
