package io.pgroute.proxy.server;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;

import static org.assertj.core.api.Assertions.assertThat;

class ExceptionLoggingHandlerTest {

    @Test
    void aFailedTlsHandshakeClosesWithoutWritingPlaintextIntoIt() {
        EmbeddedChannel channel = new EmbeddedChannel(new ExceptionLoggingHandler(true));
        channel.pipeline().fireExceptionCaught(new DecoderException(new SSLHandshakeException("revoked")));
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void anyOtherErrorIsAnsweredWithAFatalErrorResponseAndCloses() {
        EmbeddedChannel channel = new EmbeddedChannel(new ExceptionLoggingHandler(true));
        channel.pipeline().fireExceptionCaught(new IllegalStateException("a bug"));
        assertThat((Object) channel.readOutbound()).as("the ErrorResponse").isNotNull();
        assertThat(channel.isOpen()).isFalse();
    }
}
