using System.Runtime.InteropServices;

namespace MovieRec.Core.Models;

/// <summary>Length-prefixed little-endian arrays, read back with bounds checks so a damaged file fails cleanly.</summary>
internal static class ModelBinary
{
    private const int MaxLength = 1 << 30;

    public static void WriteArray<T>(BinaryWriter writer, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    public static float[] ReadFloats(BinaryReader reader) => ReadArray<float>(reader);

    public static int[] ReadInts(BinaryReader reader) => ReadArray<int>(reader);

    public static T[] ReadArray<T>(BinaryReader reader)
        where T : unmanaged
    {
        int length = reader.ReadInt32();
        if (length < 0 || length > MaxLength)
        {
            throw new InvalidDataException($"Array length {length} is out of range: the model file is damaged.");
        }

        var values = new T[length];
        Span<byte> bytes = MemoryMarshal.AsBytes(values.AsSpan());
        reader.BaseStream.ReadExactly(bytes);
        return values;
    }
}
