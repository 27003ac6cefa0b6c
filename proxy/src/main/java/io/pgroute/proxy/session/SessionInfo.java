package io.pgroute.proxy.session;

import java.net.SocketAddress;
import java.time.Instant;
import java.util.Map;

/**
 * Who a client is: session id, login role, database, address, startup parameters and protocol version.
 */
public record SessionInfo(long id, String user, String database, SocketAddress address,
                          Map<String, String> startupParameters, int protocolMinor, Instant connectedAt) {

    public SessionInfo {
        startupParameters = Map.copyOf(startupParameters);
    }
}
