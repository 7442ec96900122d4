package stedi;

import io.trino.sql.parser.ParsingException;
import io.trino.sql.parser.SqlParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Reads statements separated by NUL bytes on stdin; prints one line per statement: OK, or ERR line:col message. */
public final class TrinoParsePeer {
    public static void main(String[] args) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.in.transferTo(buf);
        SqlParser parser = new SqlParser();
        for (String sql : buf.toString(StandardCharsets.UTF_8).split("\u0000", -1)) {
            if (sql.isBlank()) continue;
            try {
                parser.createStatement(sql);
                System.out.println("OK");
            } catch (ParsingException e) {
                System.out.println("ERR " + e.getLineNumber() + ":" + e.getColumnNumber() + " " + e.getErrorMessage().replace('\n', ' '));
            }
        }
    }
}
