package io.pgroute.proxy.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.pgroute.config.NodeConfig;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Netty transport: native epoll where the platform has it, NIO otherwise. Client and backend channels share
 * the same event loops so a client and its backend connections live on one thread.
 */
public record Transport(boolean nativeEpoll) {

    /** epoll when available, unless {@code -Dpgroute.transport=nio}. */
    public static Transport detect() {
        boolean wantNio = "nio".equalsIgnoreCase(System.getProperty("pgroute.transport"));
        return new Transport(!wantNio && Epoll.isAvailable());
    }

    public EventLoopGroup newGroup(int threads, String name) {
        DefaultThreadFactory factory = new DefaultThreadFactory(name, true);
        return nativeEpoll ? new EpollEventLoopGroup(threads, factory) : new NioEventLoopGroup(threads, factory);
    }

    public Class<? extends ServerSocketChannel> serverChannel() {
        return nativeEpoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** Whether this transport can listen on a Unix-domain socket: the native one can, NIO (in Netty 4.1) cannot. */
    public boolean unixSockets() {
        return nativeEpoll;
    }

    /** The channel listening on a Unix-domain socket; only with {@link #unixSockets()}. */
    public Class<? extends ServerChannel> serverDomainChannel() {
        if (!unixSockets()) {
            throw new IllegalStateException("Unix-domain sockets need the epoll transport");
        }
        return EpollServerDomainSocketChannel.class;
    }

    public Class<? extends SocketChannel> clientChannel() {
        return nativeEpoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** Seconds a connection may be silent before the first keepalive probe; then one every interval, up to the count. */
    public static final int KEEPALIVE_IDLE_SECONDS = 15;
    public static final int KEEPALIVE_INTERVAL_SECONDS = 5;
    public static final int KEEPALIVE_PROBES = 3;

    /**
     * Socket options for client and server connections: no Nagle delay, and TCP keepalive with probes after 15 s of
     * silence, every 5 s, 3 of them. A peer that vanished without closing (a crashed host, a cut network) is then
     * noticed within about 30 s instead of the kernel's default two hours: a session waiting on such a server gets
     * an error instead of hanging, a pooled connection to it is dropped, and a client that vanished in a transaction
     * gives its server connection back. A live server answers probes from its kernel, even when busy or stopped.
     * The probe timing needs the epoll transport; with NIO the kernel's defaults apply.
     */
    public Map<ChannelOption<?>, Object> connectionOptions() {
        Map<ChannelOption<?>, Object> result = new LinkedHashMap<>();
        result.put(ChannelOption.TCP_NODELAY, true);
        result.put(ChannelOption.SO_KEEPALIVE, true);
        if (nativeEpoll) {
            result.put(EpollChannelOption.TCP_KEEPIDLE, KEEPALIVE_IDLE_SECONDS);
            result.put(EpollChannelOption.TCP_KEEPINTVL, KEEPALIVE_INTERVAL_SECONDS);
            result.put(EpollChannelOption.TCP_KEEPCNT, KEEPALIVE_PROBES);
        }
        return result;
    }

    /**
     * A bootstrap for a connection from {@code loop} to a server at {@code host}: TCP with the
     * {@link #connectionOptions}, or a Unix-domain socket when {@code host} is a socket directory (it starts with a
     * slash, as libpq reads it). Connect it to {@link #serverAddress}.
     *
     * @throws IllegalStateException for a socket directory when this transport has no Unix-domain sockets
     */
    public Bootstrap connecting(EventLoop loop, String host) {
        Bootstrap result = new Bootstrap().group(loop);
        if (NodeConfig.isSocketDirectory(host)) {
            if (!unixSockets()) {
                throw new IllegalStateException("a server given as a socket directory (" + host + ") needs the "
                        + "native epoll transport (Linux); this one is " + name());
            }
            return result.channel(EpollDomainSocketChannel.class);
        }
        return withConnectionOptions(result.channel(clientChannel()));
    }

    /** Where a server listens: {@code host:port}, resolved when connecting, or its socket in a socket directory. */
    public static SocketAddress serverAddress(String host, int port) {
        if (NodeConfig.isSocketDirectory(host)) {
            return new DomainSocketAddress(NodeConfig.socketPath(host, port));
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** {@code bootstrap} (server connections) with the {@link #connectionOptions}. */
    public Bootstrap withConnectionOptions(Bootstrap bootstrap) {
        connectionOptions().forEach((option, value) -> bootstrap.option(anyValue(option), value));
        return bootstrap;
    }

    /** {@code bootstrap} with the {@link #connectionOptions} for the client connections it accepts. */
    public ServerBootstrap withConnectionOptions(ServerBootstrap bootstrap) {
        connectionOptions().forEach((option, value) -> bootstrap.childOption(anyValue(option), value));
        return bootstrap;
    }

    @SuppressWarnings("unchecked")
    private static ChannelOption<Object> anyValue(ChannelOption<?> option) {
        return (ChannelOption<Object>) option;  // each value was put with its own option's type
    }

    public String name() {
        return nativeEpoll ? "epoll" : "nio";
    }
}
