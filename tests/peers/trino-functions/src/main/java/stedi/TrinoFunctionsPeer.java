package stedi;

import io.airlift.slice.Slice;
import io.airlift.slice.SliceUtf8;
import io.airlift.slice.Slices;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Test peer: evaluates stedi's Athena canonical email,
 * nullif(normalize(lower(normalize(trim(BOTH chars FROM x)))), ''), with the code Trino 476 runs
 * for each function: trim(x, chars) is SliceUtf8.trim(slice, codePoints) (StringFunctions.trim,
 * the target of TRIM(BOTH chars FROM x)); normalize(x) is java.text.Normalizer NFC; lower(x) is
 * SliceUtf8.toLowerCase. Input on stdin, NUL-separated: the code points to trim (decimal, comma
 * separated), then the values, each "S" + text or "N" for NULL. Output: one line per value, "= "
 * and the UTF-8 bytes of the result in hex, or "= NULL" (a library may print its own lines).
 */
public final class TrinoFunctionsPeer
{
    private TrinoFunctionsPeer() {}

    public static void main(String[] args)
            throws IOException
    {
        String[] records = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).split("\0", -1);
        int[] codePoints = Arrays.stream(records[0].split(",")).mapToInt(Integer::parseInt).toArray();
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < records.length; i++) {
            String value = records[i];
            if (value.startsWith("N")) {
                out.append("= NULL\n");
                continue;
            }
            Slice trimmed = SliceUtf8.trim(Slices.utf8Slice(value.substring(1)), codePoints);
            Slice composed = normalize(trimmed);
            Slice lowered = SliceUtf8.toLowerCase(composed);
            Slice result = normalize(lowered);
            out.append("= ").append(result.length() == 0 ? "NULL" : HexFormat.of().formatHex(result.getBytes())).append('\n');
        }
        System.out.print(out);
    }

    private static Slice normalize(Slice slice)
    {
        return Slices.utf8Slice(Normalizer.normalize(slice.toStringUtf8(), Normalizer.Form.NFC));
    }
}
