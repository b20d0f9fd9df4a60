using System.Buffers;
using System.Runtime.InteropServices;

namespace MovieRec.Core.Numerics;

/// <summary>
/// Values in native memory aligned to 2 MiB, which on Linux asks for transparent huge pages (<c>madvise(MADV_HUGEPAGE)</c>)
/// before its first touch. For matrices read a row at a time at random (the factor rows implicit-als gathers): with 4 KiB
/// pages, 41 MB of factors span 10,000 pages, far more than the TLB holds, so nearly every row read also walks the page
/// tables (in a virtual machine, two levels of them); with 2 MiB pages the same matrix is 21 pages. Where huge pages are
/// not granted (another OS, <c>transparent_hugepage=never</c>, no free 2 MiB block) the memory is ordinary and only slower.
/// The contents start as zeros. Disposing frees it; a span taken before must not be used after.
/// </summary>
internal sealed unsafe class HugePageMemory<T> : MemoryManager<T>
    where T : unmanaged
{
    private const nuint HugePage = 2 << 20;
    private const int MadviseHugePage = 14;

    private T* _pointer;

    public HugePageMemory(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        nuint bytes = Math.Max(HugePage, (((nuint)length * (nuint)sizeof(T)) + HugePage - 1) / HugePage * HugePage);
        _pointer = (T*)NativeMemory.AlignedAlloc(bytes, HugePage);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // A hint: failure leaves ordinary pages.
                HugePages = Libc.Madvise(_pointer, bytes, MadviseHugePage) == 0;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                HugePages = false;
            }
        }

        NativeMemory.Clear(_pointer, bytes);
    }

    /// <summary>Values held.</summary>
    public int Length { get; }

    /// <summary>Whether the kernel accepted the huge-page hint for this memory (not a promise that it found huge pages).</summary>
    public bool HugePages { get; }

    public Span<T> Span => GetSpan();

    public override Span<T> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        return new Span<T>(_pointer, Length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        if ((uint)elementIndex > (uint)Length)
        {
            throw new ArgumentOutOfRangeException(nameof(elementIndex));
        }

        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer is not null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}

file static unsafe class Libc
{
    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static extern int Madvise(void* address, nuint length, int advice);
}
