package io.pgroute.protocol.frontend;

import static io.pgroute.protocol.testing.WireAssertions.assertMalformed;
import static io.pgroute.protocol.testing.WireAssertions.assertRoundTrip;
import static io.pgroute.protocol.testing.WireAssertions.cstring;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.FrontendType;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FrontendMessageTest {

    static Stream<Arguments> messages() {
        return Stream.of(
                arguments(new Query("SELECT 1; SELECT 'é'"), body(out -> cstring(out, "SELECT 1; SELECT 'é'")),
                        decoder(Query::decode)),
                arguments(new Parse("s1", "SELECT $1, $2", new int[] {23, 0}), body(out -> {
                    cstring(out, "s1");
                    cstring(out, "SELECT $1, $2");
                    out.writeShort(2).writeInt(23).writeInt(0);
                }), decoder(Parse::decode)),
                arguments(new Parse("", "SELECT 1", new int[0]), body(out -> {
                    cstring(out, "");
                    cstring(out, "SELECT 1");
                    out.writeShort(0);
                }), decoder(Parse::decode)),
                arguments(new Bind("p", "s1", new short[] {1}, new byte[][] {{0, 0, 0, 7}, null, {}},
                        new short[] {0, 1}), body(out -> {
                            cstring(out, "p");
                            cstring(out, "s1");
                            out.writeShort(1).writeShort(1);
                            out.writeShort(3).writeInt(4).writeInt(7).writeInt(-1).writeInt(0);
                            out.writeShort(2).writeShort(0).writeShort(1);
                        }), decoder(Bind::decode)),
                arguments(Describe.statement("s1"), body(out -> {
                    out.writeByte('S');
                    cstring(out, "s1");
                }), decoder(Describe::decode)),
                arguments(Describe.portal(""), body(out -> {
                    out.writeByte('P');
                    cstring(out, "");
                }), decoder(Describe::decode)),
                arguments(Close.statement("s1"), body(out -> {
                    out.writeByte('S');
                    cstring(out, "s1");
                }), decoder(Close::decode)),
                arguments(new Execute("p", 100), body(out -> {
                    cstring(out, "p");
                    out.writeInt(100);
                }), decoder(Execute::decode)),
                arguments(Sync.INSTANCE, body(out -> { }), decoder(Sync::decode)),
                arguments(Flush.INSTANCE, body(out -> { }), decoder(Flush::decode)),
                arguments(Terminate.INSTANCE, body(out -> { }), decoder(Terminate::decode)),
                arguments(CopyDone.INSTANCE, body(out -> { }), decoder(CopyDone::decode)),
                arguments(new CopyData(new byte[] {1, 2, 3}), body(out -> out.writeBytes(new byte[] {1, 2, 3})),
                        decoder(CopyData::decode)),
                arguments(new CopyFail("aborted"), body(out -> cstring(out, "aborted")), decoder(CopyFail::decode)),
                arguments(new FunctionCall(1598, new short[] {1}, new byte[][] {{9}, null}, (short) 1), body(out -> {
                    out.writeInt(1598);
                    out.writeShort(1).writeShort(1);
                    out.writeShort(2).writeInt(1).writeByte(9).writeInt(-1);
                    out.writeShort(1);
                }), decoder(FunctionCall::decode)),
                arguments(new PasswordMessage("secret"), body(out -> cstring(out, "secret")),
                        decoder(PasswordMessage::decode)),
                arguments(new SASLInitialResponse("SCRAM-SHA-256", new byte[] {'n', ',', ','}), body(out -> {
                    cstring(out, "SCRAM-SHA-256");
                    out.writeInt(3).writeBytes(new byte[] {'n', ',', ','});
                }), decoder(SASLInitialResponse::decode)),
                arguments(new SASLInitialResponse("SCRAM-SHA-256", null), body(out -> {
                    cstring(out, "SCRAM-SHA-256");
                    out.writeInt(-1);
                }), decoder(SASLInitialResponse::decode)),
                arguments(new SASLResponse(new byte[] {'c', '='}), body(out -> out.writeBytes(new byte[] {'c', '='})),
                        decoder(SASLResponse::decode)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void roundTrips(Object message, Consumer<ByteBuf> body, Function<ByteBuf, Object> decoder) {
        assertRoundTrip(message, body, decoder);
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                arguments("Query without NUL", decoder(Query::decode), body(out -> out.writeByte('x'))),
                arguments("Query with trailing bytes", decoder(Query::decode), body(out -> out.writeByte(0).writeByte(1))),
                arguments("Parse truncated in oids", decoder(Parse::decode), body(out -> {
                    cstring(out, "");
                    cstring(out, "SELECT 1");
                    out.writeShort(2).writeInt(23);
                })),
                arguments("Parse with huge count", decoder(Parse::decode), body(out -> {
                    cstring(out, "");
                    cstring(out, "");
                    out.writeShort(0xFFFF);
                })),
                arguments("Bind with value longer than body", decoder(Bind::decode), body(out -> {
                    cstring(out, "");
                    cstring(out, "");
                    out.writeShort(0).writeShort(1).writeInt(100).writeInt(1);
                })),
                arguments("Bind with negative value length", decoder(Bind::decode), body(out -> {
                    cstring(out, "");
                    cstring(out, "");
                    out.writeShort(0).writeShort(1).writeInt(-2).writeShort(0);
                })),
                arguments("Bind without result formats", decoder(Bind::decode), body(out -> {
                    cstring(out, "");
                    cstring(out, "");
                    out.writeShort(0).writeShort(0);
                })),
                arguments("Describe with bad target", decoder(Describe::decode), body(out -> {
                    out.writeByte('X');
                    cstring(out, "");
                })),
                arguments("Close empty", decoder(Close::decode), body(out -> { })),
                arguments("Execute without max rows", decoder(Execute::decode), body(out -> cstring(out, "p"))),
                arguments("Sync with body", decoder(Sync::decode), body(out -> out.writeByte(1))),
                arguments("Terminate with body", decoder(Terminate::decode), body(out -> out.writeByte(1))),
                arguments("CopyFail without NUL", decoder(CopyFail::decode), body(out -> out.writeByte('a'))),
                arguments("FunctionCall truncated", decoder(FunctionCall::decode), body(out -> out.writeInt(1))),
                arguments("PasswordMessage without NUL", decoder(PasswordMessage::decode),
                        body(out -> out.writeByte('a'))),
                arguments("SASLInitialResponse data shorter than length", decoder(SASLInitialResponse::decode),
                        body(out -> {
                            cstring(out, "SCRAM-SHA-256");
                            out.writeInt(10).writeByte(1);
                        })));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsMalformedBody(String name, Function<ByteBuf, Object> decoder, Consumer<ByteBuf> body) {
        assertMalformed(decoder, body);
    }

    @Test
    void looksUpTypesByCode() {
        for (FrontendType each : FrontendType.values()) {
            assertThat(FrontendType.of(each.code())).isSameAs(each);
        }
        assertThat(FrontendType.of((byte) 'Z')).isNull();
        assertThat(FrontendType.of((byte) -1)).isNull();
    }

    @Test
    void hidesPasswords() {
        assertThat(new PasswordMessage("secret").toString()).doesNotContain("secret");
    }

    @Test
    void aParseWhoseStringsWereReadDecodesTheRestInPlace() {
        Parse parse = new Parse("s1", "SELECT $1, 'é'", new int[] {23, 0});
        ByteBuf encoded = io.netty.buffer.Unpooled.buffer();
        parse.encodeBody(encoded);
        int length = encoded.readableBytes();
        // as the frame decoder gives it: a slice of a slice of pooled memory, at an offset in it
        ByteBuf memory = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(64 + length);
        memory.writeZero(32).writeByte('P').writeInt(4 + length).writeBytes(encoded).skipBytes(32);
        ByteBuf wire = memory.readRetainedSlice(5 + length);
        memory.release();
        ByteBuf body = wire.slice(5, length);
        try {
            assertThat(Parse.decodeRest(body, "s1", "SELECT $1, 'é'")).isEqualTo(parse);
            assertThat(body.readerIndex()).isZero();
            ByteBuf truncated = body.slice(0, length - 1);
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> Parse.decodeRest(truncated, "s1", "SELECT $1, 'é'"))
                    .isInstanceOf(io.pgroute.protocol.ProtocolException.class);
        } finally {
            wire.release();
        }
    }

    private static Consumer<ByteBuf> body(Consumer<ByteBuf> body) {
        return body;
    }

    @SuppressWarnings("unchecked")
    private static Function<ByteBuf, Object> decoder(Function<ByteBuf, ?> decoder) {
        return (Function<ByteBuf, Object>) decoder;
    }
}
