namespace Cni.Net.Generators;

/// <summary>A member name as System.Text.Json's camel-case naming policy spells it, so that the keys a
/// <c>[CniConfig]</c> reader looks for first are those a serializer context with that policy would.</summary>
internal static class CamelCase
{
    public static string Convert(string name)
    {
        if (name.Length == 0 || !char.IsUpper(name[0]))
        {
            return name;
        }
        char[] chars = name.ToCharArray();
        // A leading run of capitals is lowered, except its last letter when that one starts a word ("IPMasq" → "ipMasq").
        for (int i = 0; i < chars.Length; i++)
        {
            if (i == 1 && !char.IsUpper(chars[i]))
            {
                break;
            }
            bool hasNext = i + 1 < chars.Length;
            if (i > 0 && hasNext && !char.IsUpper(chars[i + 1]))
            {
                if (chars[i + 1] == ' ')
                {
                    chars[i] = char.ToLowerInvariant(chars[i]);
                }
                break;
            }
            chars[i] = char.ToLowerInvariant(chars[i]);
        }
        return new string(chars);
    }
}
