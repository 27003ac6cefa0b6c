package io.pgroute.proxy.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TransportTest {

    /** The kernel's own view of a connected socket (getsockopt), not what was asked. */
    @Test
    void connectionsProbeASilentPeerAfter15SecondsEvery5Seconds3Times() throws Exception {
        Transport transport = Transport.detect();
        assumeTrue(transport.nativeEpoll(), "probe timing needs the epoll transport");
        EventLoopGroup group = transport.newGroup(1, "transport-test");
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Bootstrap bootstrap = transport.withConnectionOptions(new Bootstrap().group(group)
                    .channel(transport.clientChannel()).handler(new ChannelInboundHandlerAdapter()));
            Channel channel = bootstrap.connect(server.getInetAddress(), server.getLocalPort()).sync().channel();
            try (Socket accepted = server.accept()) {
                assertThat(channel.config().getOption(ChannelOption.SO_KEEPALIVE)).isTrue();
                assertThat(channel.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
                assertThat(channel.config().getOption(EpollChannelOption.TCP_KEEPIDLE)).isEqualTo(15);
                assertThat(channel.config().getOption(EpollChannelOption.TCP_KEEPINTVL)).isEqualTo(5);
                assertThat(channel.config().getOption(EpollChannelOption.TCP_KEEPCNT)).isEqualTo(3);
            } finally {
                channel.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void nioKeepsTheKernelsProbeTimingButStillProbes() {
        assertThat(new Transport(false).connectionOptions())
                .containsEntry(ChannelOption.SO_KEEPALIVE, true)
                .containsEntry(ChannelOption.TCP_NODELAY, true)
                .doesNotContainKey(EpollChannelOption.TCP_KEEPIDLE);
    }
}
