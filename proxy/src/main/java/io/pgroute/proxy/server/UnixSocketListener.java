package io.pgroute.proxy.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.DomainSocketAddress;
import io.pgroute.config.ListenConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * pgroute's Unix-domain socket ({@code listen.unix_socket_dir}): {@code <dir>/.s.PGSQL.<port>}, where libpq looks
 * for a server on that port ({@code psql -h <dir> -p <port>}, or no {@code -h} where {@code <dir>} is libpq's
 * default). A socket file left by a pgroute or PostgreSQL that is gone is replaced; one that still answers is not
 * (pgroute does not start, as PostgreSQL would not). The file gets {@code unix_socket_mode} and is removed at close.
 */
final class UnixSocketListener {

    private static final Logger LOGGER = LoggerFactory.getLogger(UnixSocketListener.class);
    /** {@code S_IFMT} and {@code S_IFSOCK} of {@code st_mode}. */
    private static final int FILE_TYPE = 0170000;
    private static final int SOCKET_TYPE = 0140000;

    private final Path path;
    private final Channel channel;

    private UnixSocketListener(Path path, Channel channel) {
        this.path = path;
        this.channel = channel;
    }

    /**
     * Listens on {@code dir}'s socket for {@code port} (the TCP port actually bound), with the client pipeline of
     * {@code initializer} on {@code workers}.
     *
     * @throws IllegalStateException when the directory is missing, the path is taken by another file or by a live
     *     server, or the transport has no Unix-domain sockets; the message says which
     */
    static UnixSocketListener start(Transport transport, EventLoopGroup boss, EventLoopGroup workers,
                                    ClientChannelInitializer initializer, ListenConfig listen, int port)
            throws InterruptedException {
        Path dir = Path.of(listen.unixSocketDir());
        Path path = dir.resolve(ListenConfig.unixSocketName(port));
        if (!transport.unixSockets()) {
            throw new IllegalStateException("listen.unix_socket_dir needs the native epoll transport (Linux), and "
                    + "this one is " + transport.name() + ": remove unix_socket_dir or run on Linux");
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("listen.unix_socket_dir " + dir + " is not a directory");
        }
        replaceStale(path);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverDomainChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                .childHandler(initializer);
        Channel channel;
        try {
            channel = bootstrap.bind(new DomainSocketAddress(path.toString())).sync().channel();
        } catch (Exception e) {  // a bind failure surfaces as the native layer's checked exception
            throw new IllegalStateException("cannot listen on the Unix-domain socket " + path + ": " + e.getMessage(),
                    e);
        }
        UnixSocketListener result = new UnixSocketListener(path, channel);
        try {
            Files.setPosixFilePermissions(path, permissions(listen.unixSocketMode()));
        } catch (IOException | UnsupportedOperationException e) {
            result.close();
            throw new IllegalStateException("cannot set the mode of " + path + ": " + e.getMessage(), e);
        }
        LOGGER.info("pgroute listening on Unix-domain socket {} (mode {})", path,
                String.format("%04o", listen.unixSocketMode()));
        return result;
    }

    /** The socket file. */
    Path path() {
        return path;
    }

    /** Stops accepting and removes the socket file; clients already connected go on. */
    void close() {
        channel.close().syncUninterruptibly();
        try {
            Files.deleteIfExists(path);  // the epoll channel removes it too; a second removal finds nothing
        } catch (IOException e) {
            LOGGER.warn("could not remove the Unix-domain socket {}: {}", path, e.toString());
        }
    }

    /**
     * Removes {@code path} when it is a socket no server listens on (left by a process that was killed); refuses
     * when it is another kind of file or a server answers on it.
     */
    private static void replaceStale(Path path) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & FILE_TYPE) != SOCKET_TYPE) {
                throw new IllegalStateException("cannot listen on " + path + ": a file that is not a socket is there");
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
        } catch (IOException refused) {
            try {
                Files.delete(path);
                LOGGER.info("removed the stale Unix-domain socket {} (nothing listens on it)", path);
                return;
            } catch (IOException e) {
                throw new IllegalStateException("cannot remove the stale socket " + path + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalStateException("cannot listen on " + path + ": another server is listening on it (is "
                + "another pgroute or a PostgreSQL running on this port?)");
    }

    /** The POSIX permissions of an octal mode such as {@code 0777}. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> result = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values();  // OWNER_READ … OTHERS_EXECUTE, 0400 down to 01
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                result.add(bits[i]);
            }
        }
        return result;
    }
}
