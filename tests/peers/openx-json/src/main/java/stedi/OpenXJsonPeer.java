package stedi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trino.hive.formats.line.Column;
import io.trino.hive.formats.line.LineBuffer;
import io.trino.hive.formats.line.LineDeserializer;
import io.trino.hive.formats.line.openxjson.OpenXJsonDeserializerFactory;
import io.trino.spi.Page;
import io.trino.spi.PageBuilder;
import io.trino.spi.block.Block;
import io.trino.spi.type.Type;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.trino.spi.type.BigintType.BIGINT;
import static io.trino.spi.type.BooleanType.BOOLEAN;
import static io.trino.spi.type.DoubleType.DOUBLE;
import static io.trino.spi.type.IntegerType.INTEGER;
import static io.trino.spi.type.RealType.REAL;
import static io.trino.spi.type.SmallintType.SMALLINT;
import static io.trino.spi.type.TinyintType.TINYINT;
import static io.trino.spi.type.VarcharType.VARCHAR;

/**
 * Reads JSON lines with Trino's own OpenX JSON SerDe reader (what Athena engine v3 runs for a Glue table with
 * org.openx.data.jsonserde.JsonSerDe).
 * stdin: {"columns":[{"name","type"}...], "serde":{SerDe parameters}, "lines":[...]}.
 * stdout: per line, "OK [values...]" (integers and floats as JSON strings, so nothing loses precision), or "ERR message".
 */
public final class OpenXJsonPeer {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        JsonNode req = JSON.readTree(System.in.readAllBytes());

        // Columns as Trino's Hive connector passes them (LinePageSourceFactory): name, type, table ordinal.
        List<Column> columns = new ArrayList<>();
        for (JsonNode c : req.get("columns")) {
            columns.add(new Column(c.get("name").asText(), type(c.get("type").asText()), columns.size()));
        }
        // The SerDe parameters are the "schema" map the connector hands to the factory (OpenXJsonOptions.fromSchema).
        Map<String, String> serde = new LinkedHashMap<>();
        req.path("serde").properties().forEach(e -> serde.put(e.getKey(), e.getValue().asText()));
        LineDeserializer deserializer = new OpenXJsonDeserializerFactory().create(columns, serde);

        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        // Same buffer sizes as Trino's Hive text line reader (1 KiB initial, 100 MB default max line length).
        LineBuffer buffer = new LineBuffer(1024, 100 * 1024 * 1024);
        for (JsonNode line : req.get("lines")) {
            buffer.reset();
            byte[] bytes = line.asText().getBytes(StandardCharsets.UTF_8);
            buffer.write(bytes, 0, bytes.length);
            // A fresh PageBuilder per line: a failed line may leave partly appended blocks behind.
            // (Real Trino fails the whole query on the first bad line; here each line stands alone.)
            PageBuilder pageBuilder = new PageBuilder(deserializer.getTypes());
            try {
                deserializer.deserialize(buffer, pageBuilder);
                Page page = pageBuilder.build();
                if (page.getPositionCount() != 1) throw new IllegalStateException("expected 1 row, got " + page.getPositionCount());
                List<Object> values = new ArrayList<>();
                for (int i = 0; i < columns.size(); i++) values.add(value(columns.get(i).type(), page.getBlock(i)));
                out.println("OK " + JSON.writeValueAsString(values));
            } catch (Exception e) {
                String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
                out.println("ERR " + message.replace('\r', ' ').replace('\n', ' '));
            }
        }
        out.flush();
    }

    /** Trino type names (plus the Hive/Glue spellings string, int, float). */
    private static Type type(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "varchar", "string" -> VARCHAR;
            case "bigint" -> BIGINT;
            case "integer", "int" -> INTEGER;
            case "smallint" -> SMALLINT;
            case "tinyint" -> TINYINT;
            case "double" -> DOUBLE;
            case "real", "float" -> REAL;
            case "boolean" -> BOOLEAN;
            default -> throw new IllegalArgumentException("unsupported column type: " + name);
        };
    }

    /** The value at position 0 of a one-row block, in the peer's output encoding. */
    private static Object value(Type type, Block block) {
        if (block.isNull(0)) return null;
        if (type == VARCHAR) return VARCHAR.getSlice(block, 0).toStringUtf8();
        if (type == BIGINT) return Long.toString(BIGINT.getLong(block, 0));
        if (type == INTEGER) return Integer.toString(INTEGER.getInt(block, 0));
        if (type == SMALLINT) return Short.toString(SMALLINT.getShort(block, 0));
        if (type == TINYINT) return Byte.toString(TINYINT.getByte(block, 0));
        if (type == DOUBLE) return Double.toString(DOUBLE.getDouble(block, 0));
        if (type == REAL) return Float.toString(REAL.getFloat(block, 0));
        if (type == BOOLEAN) return BOOLEAN.getBoolean(block, 0);
        throw new IllegalArgumentException("unsupported type " + type);
    }
}
