package io.pgroute.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;

/**
 * Where a user may connect from ({@code users.<name>.addresses}), as the address column of a {@code pg_hba.conf}
 * line: an IPv4 or IPv6 network in CIDR notation ({@code 10.0.0.0/8}, {@code fd00::/8}), a single address (the
 * whole length: {@code 127.0.0.1}), or {@code local}, pgroute's Unix-domain socket. IPv4 clients that reach an IPv6
 * socket as mapped addresses ({@code ::ffff:10.1.2.3}) match IPv4 ranges.
 * A value (not a record, so that {@code SHOW CONFIG} shows it as written, {@code 10.0.0.0/8}).
 */
public final class AddressRange {

    /** pgroute's Unix-domain socket. */
    public static final AddressRange LOCAL = new AddressRange(null, 0);

    /** The network's address bytes (4 or 16), null for {@code local}. */
    private final byte[] network;
    /** How many leading bits must match. */
    private final int prefix;

    private AddressRange(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    /** How many leading bits must match (0 for {@code local}). */
    public int prefix() {
        return prefix;
    }

    /** Parses one entry; empty when it is neither {@code local} nor an address literal with an optional prefix. */
    static Optional<AddressRange> parse(String text) {
        String entry = text.strip();
        if (entry.equalsIgnoreCase("local")) {
            return Optional.of(LOCAL);
        }
        int slash = entry.indexOf('/');
        String address = slash < 0 ? entry : entry.substring(0, slash);
        if (address.isEmpty() || !address.chars().allMatch(each -> Character.digit(each, 16) >= 0 || each == '.'
                || each == ':')) {
            return Optional.empty();  // a host name would need DNS at every login: not an address
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
        int length = bytes.length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? length : Integer.parseInt(entry.substring(slash + 1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (prefix < 0 || prefix > length) {
            return Optional.empty();
        }
        return Optional.of(new AddressRange(masked(bytes, prefix), prefix));
    }

    /**
     * The list under {@code key} ({@code addresses:}), or null when absent (anywhere); each entry that is not an
     * address range, and an empty list, is reported.
     */
    static java.util.List<AddressRange> readList(MappingReader reader, String key) {
        if (!reader.has(key)) {
            return null;
        }
        java.util.List<AddressRange> result = new java.util.ArrayList<>();
        java.util.List<YamlNode> items = reader.list(key).orElse(java.util.List.of());
        for (int i = 0; i < items.size(); i++) {
            Optional<AddressRange> range = items.get(i) instanceof YamlNode.Scalar scalar && scalar.valid()
                    ? parse(scalar.text()) : Optional.empty();
            if (range.isPresent()) {
                result.add(range.get());
            } else {
                reader.problems().add(reader.childPath(key) + "[" + i + "]", items.get(i).line(),
                        "must be an address with an optional prefix length (10.0.0.0/8, ::1) or local");
            }
        }
        if (items.isEmpty()) {
            reader.problem(key, "must list at least one address (leave it out for anywhere)");
        }
        return result;
    }

    /** Whether {@code address} (null: the Unix-domain socket) is in one of {@code ranges}; null ranges: anywhere. */
    public static boolean allows(java.util.List<AddressRange> ranges, InetAddress address) {
        return ranges == null || ranges.stream().anyMatch(each -> each.contains(address));
    }

    /** Whether a client at {@code address} (null: on the Unix-domain socket) is in this range. */
    public boolean contains(InetAddress address) {
        if (network == null || address == null) {
            return network == null && address == null;
        }
        byte[] bytes = address.getAddress();
        if (bytes.length == 16 && network.length == 4 && isMappedIpv4(bytes)) {
            bytes = Arrays.copyOfRange(bytes, 12, 16);
        }
        return bytes.length == network.length && Arrays.equals(masked(bytes, prefix), network);
    }

    private static boolean isMappedIpv4(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    }

    private static byte[] masked(byte[] bytes, int prefix) {
        byte[] result = bytes.clone();
        for (int i = 0; i < result.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            result[i] &= (byte) (0xff << (8 - keep));
        }
        return result;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AddressRange that && prefix == that.prefix && Arrays.equals(network, that.network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefix;
    }

    @Override
    public String toString() {
        if (network == null) {
            return "local";
        }
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            return Arrays.toString(network) + "/" + prefix;
        }
    }
}
