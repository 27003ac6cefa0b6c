package io.pgroute.proxy.logging;

import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketChannel;

/** How logs name a client connection's peer: its address and port, or {@code unix} for a Unix-domain socket client. */
public final class ClientAddress {

    private ClientAddress() {
    }

    /** {@code /127.0.0.1:50412}, or {@code unix} (such a client has no address of its own). */
    public static String of(Channel channel) {
        return channel instanceof DomainSocketChannel ? "unix" : String.valueOf(channel.remoteAddress());
    }
}
